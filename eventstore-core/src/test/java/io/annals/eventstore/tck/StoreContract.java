package io.annals.eventstore.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamAppend;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;

/**
 * What the contract suites of the second part share: the stores a test opens (closed after it),
 * on a clock of its own, and the helpers that build and read events.
 */
public abstract class StoreContract {

    protected static final Instant T0 = Instant.parse("2026-03-04T05:06:07.123456Z");

    protected final TestClock clock = new TestClock(T0);
    private final List<EventStore> opened = new ArrayList<>();
    private EventStore store;

    /** A new, empty store on this clock and these limits. Closed after each test. */
    protected abstract EventStore newStore(Clock clock, AppendLimits limits);

    /** The test's store, opened at the first call with the default limits. */
    protected synchronized EventStore store() {
        if (store == null) {
            store = open(AppendLimits.defaults());
        }
        return store;
    }

    /** Another new store, closed after the test. */
    protected synchronized EventStore open(AppendLimits limits) {
        EventStore s = newStore(clock, limits);
        opened.add(s);
        return s;
    }

    @AfterEach
    synchronized void closeStores() {
        try {
            for (EventStore s : opened) {
                s.close();
            }
        } finally {
            opened.clear();
            store = null;
        }
    }

    protected static EventData tagged(String type, String... tags) {
        return new EventData(UUID.randomUUID(), type, "{\"n\":1}", Map.of(), new LinkedHashSet<>(Arrays.asList(tags)));
    }

    protected static EventData untagged(String type) {
        return new EventData(UUID.randomUUID(), type, "{\"n\":1}", Map.of());
    }

    protected static List<EventData> counted(int n) {
        return IntStream.rangeClosed(1, n)
                .mapToObj(i -> EventData.of("Counted", "{\"i\":" + i + "}"))
                .collect(Collectors.toList());
    }

    protected static StreamAppend part(String streamId, ExpectedVersion expected, EventData... events) {
        return StreamAppend.of(streamId, expected, events);
    }

    protected static Query tagQuery(String... tags) {
        return Query.of(QueryItem.tags(tags));
    }

    /** The whole global log, page by page. */
    protected static List<RecordedEvent> readAllOf(EventStore s) {
        return EventStoreContract.readAllOf(s);
    }

    /** Every event that matches {@code query}, page by page. */
    protected static List<RecordedEvent> readAllMatching(EventStore s, Query query) {
        List<RecordedEvent> all = new ArrayList<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> page = s.read(query, after, 250);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
            after = page.get(page.size() - 1).position();
        }
    }

    protected static List<UUID> ids(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::eventId).toList();
    }

    protected static long lastPosition(List<RecordedEvent> events) {
        return events.isEmpty() ? 0 : events.get(events.size() - 1).position();
    }

    /** What a store holds, to compare before and after a refused call. */
    protected static Held held(EventStore s, String... liveStreams) {
        Map<String, Long> versions = new HashMap<>();
        for (String stream : liveStreams) {
            versions.put(stream, s.currentVersion(stream));
        }
        return new Held(readAllOf(s), versions);
    }

    /** The log and the versions of some streams. */
    protected record Held(List<RecordedEvent> log, Map<String, Long> versions) {}

    protected static void assertUnchanged(EventStore s, Held before) {
        assertThat(readAllOf(s)).as("the log").isEqualTo(before.log());
        for (Map.Entry<String, Long> v : before.versions().entrySet()) {
            assertThat(s.currentVersion(v.getKey()))
                    .as("version of stream %s", v.getKey())
                    .isEqualTo(v.getValue());
        }
    }
}
