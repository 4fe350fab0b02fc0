package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventData;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.StreamAppend;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * The lock keys that make a condition of an append see every append it could conflict with, on a
 * database whose writers run in parallel (PostgreSQL). Every appended event takes a shared lock
 * on the key of its type and of each of its tags; an append with a condition takes an exclusive
 * lock on one key per item of its query that every event matching the item also locks: the key
 * of the item's first tag (an event that matches carries it), else the key of each of its types.
 * An append that conflicts with a condition thus holds a lock the condition waits for until it
 * commits, or waits for the condition's append to commit; appends that share no key never wait
 * for each other. Keys are 32-bit hashes: two different types or tags can share a key, which
 * costs a wait, never a missed conflict. An item that matches every event has no key: its append
 * locks the events table instead ({@code lock-events-for-condition}), as does a condition with more
 * keys than {@link #MAX_KEYS}; events with more keys than that take {@link #WIDE}.
 */
final class LockKeys {

    private LockKeys() {}

    /** The space of a store's keys: its schema and table prefix, so that two stores never meet. */
    static int space(String schema, String prefix) {
        return hash("annals\u0000" + schema + "\u0000" + prefix);
    }

    /** The key of an event type. */
    static int type(String type) {
        return hash("type\u0000" + type);
    }

    /** The key of a tag. */
    static int tag(String tag) {
        return hash("tag\u0000" + tag);
    }

    /**
     * The shared keys of events: their types and their tags, each once, in ascending order (the
     * order every append takes its locks in; the statements take them as given).
     */
    static int[] sharedOf(List<EventData> events) {
        if (events.size() == 1 && events.get(0).tags().isEmpty()) {
            return new int[] {type(events.get(0).type())};
        }
        return events.stream()
                .flatMapToInt(e -> java.util.stream.IntStream.concat(
                        java.util.stream.IntStream.of(type(e.type())),
                        e.tags().stream().mapToInt(LockKeys::tag)))
                .distinct()
                .sorted()
                .toArray();
    }

    /**
     * Whether keys strictly ascend, each once: the order the statements take them in (the keys
     * of {@link #of} ascend as their {@code TreeMap} does).
     */
    static boolean ascending(int[] keys) {
        for (int i = 1; i < keys.length; i++) {
            if (keys[i - 1] >= keys[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The most keys one append takes of its events, or of its condition. PostgreSQL keeps every
     * lock in a table shared by all sessions ({@code max_locks_per_transaction} per connection):
     * an import of thousands of tagged events taking a lock per tag filled it, and appends of
     * every session failed with "out of shared memory".
     */
    static final int MAX_KEYS = 32;

    /**
     * The key of wide appends: one whose events have more than {@link #MAX_KEYS} keys takes it
     * exclusively instead of their keys, and every append with a condition takes it shared, so
     * that a condition still waits for a wide append in flight (and holds back the next ones).
     */
    static final int WIDE = hash("wide appends");

    /**
     * The locks of an append.
     *
     * @param keys every key, with whether it is taken exclusively, in ascending order
     * @param lockTable whether the append must lock the events table instead of its condition's
     *     keys: its condition matches every event, or has more than {@link #MAX_KEYS} keys
     */
    record Plan(Map<Integer, Boolean> keys, boolean lockTable) {}

    /**
     * The locks of an append: the keys of {@code condition} exclusive, those of the events shared
     * unless the condition has them too, and {@link #WIDE} shared by a condition or taken
     * exclusively by wide events.
     */
    static Plan of(List<StreamAppend> appends, @Nullable Query condition) {
        Map<Integer, Boolean> events = new TreeMap<>();
        for (StreamAppend part : appends) {
            for (EventData e : part.events()) {
                events.putIfAbsent(type(e.type()), false);
                for (String tag : e.tags()) {
                    events.putIfAbsent(tag(tag), false);
                }
            }
        }
        Map<Integer, Boolean> keys = new TreeMap<>();
        if (events.size() > MAX_KEYS) {
            keys.put(WIDE, true);
        } else {
            keys.putAll(events);
        }
        boolean lockTable = false;
        if (condition != null) {
            keys.putIfAbsent(WIDE, false);
            Map<Integer, Boolean> wanted = new TreeMap<>();
            for (QueryItem item : condition.items()) {
                if (!item.tags().isEmpty()) {
                    wanted.put(tag(item.tags().iterator().next()), true);
                } else {
                    for (String type : item.types()) {
                        wanted.put(type(type), true);
                    }
                }
            }
            lockTable = condition.matchesAll() || wanted.size() > MAX_KEYS;
            if (!lockTable) {
                keys.putAll(wanted);
            }
        }
        return new Plan(keys, lockTable);
    }

    /** 32-bit FNV-1a of the UTF-8 bytes, then mixed: stable across processes and versions. */
    static int hash(String s) {
        int h = 0x811c9dc5;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        return h;
    }
}
