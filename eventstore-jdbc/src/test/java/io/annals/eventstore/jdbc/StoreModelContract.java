package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.AppendResult;
import io.annals.eventstore.EventData;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.WrongExpectedVersionException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 12 of the reliability suite, for the store: random interleavings of appends (new,
 * repeated, partly repeated, moved to another stream, with every kind of expectation) and reads
 * agree, step by step, with a simple model of the contract written here from the rules in
 * {@code EventStore.append}'s Javadoc. Seeded: a failure names its seed and step.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class StoreModelContract extends ReliabilityContract {

    @Test
    @Timeout(300)
    void random_appends_and_reads_agree_with_a_model_of_the_contract() {
        for (long seed = 1; seed <= 3; seed++) {
            run(seed, 200);
        }
    }

    @Test
    @Tag("nightly")
    @Timeout(3600)
    void many_long_random_runs_agree_with_a_model_of_the_contract() {
        for (long seed = 100; seed < 120; seed++) {
            run(seed, 2_000);
        }
    }

    /** One appended batch as the model keeps it. */
    private record Batch(List<EventData> events, ExpectedVersion expected, AppendResult result) {}

    /** Where the model stored an event. */
    private record Stored(String stream, long version, int index) {}

    /** The model: streams of event ids, one log, and where each id is. */
    private static final class Model {
        final Map<String, List<UUID>> streams = new HashMap<>();
        final List<UUID> log = new ArrayList<>();
        final Map<UUID, Stored> ids = new HashMap<>();

        long version(String stream) {
            return streams.getOrDefault(stream, List.of()).size();
        }

        static boolean met(ExpectedVersion e, long current) {
            if (e instanceof ExpectedVersion.Exactly x) {
                return x.version() == current;
            }
            if (e instanceof ExpectedVersion.NoStream) {
                return current == 0;
            }
            if (e instanceof ExpectedVersion.StreamExists) {
                return current > 0;
            }
            return true;
        }

        /** "ok", "wrong N" (wrong expected version, actual N), "repeat", or "refused". */
        String outcome(String stream, ExpectedVersion expected, List<EventData> events) {
            List<Stored> found = new ArrayList<>();
            for (EventData e : events) {
                if (ids.containsKey(e.eventId())) {
                    found.add(ids.get(e.eventId()));
                }
            }
            if (!found.isEmpty()) {
                if (found.size() < events.size()) {
                    return "refused";
                }
                Stored head = found.get(0);
                for (int i = 0; i < found.size(); i++) {
                    Stored s = found.get(i);
                    if (!s.stream().equals(stream) || s.version() != head.version() + i) {
                        return "refused";
                    }
                }
                boolean placeable = expected instanceof ExpectedVersion.Exactly x
                        ? head.version() == x.version() + 1
                        : expected instanceof ExpectedVersion.NoStream
                                ? head.version() == 1
                                : expected instanceof ExpectedVersion.StreamExists ? head.version() >= 2 : true;
                return placeable ? "repeat" : "refused";
            }
            long current = version(stream);
            return met(expected, current) ? "ok" : "wrong " + current;
        }

        void append(String stream, List<EventData> events) {
            List<UUID> s = streams.computeIfAbsent(stream, k -> new ArrayList<>());
            for (EventData e : events) {
                s.add(e.eventId());
                ids.put(e.eventId(), new Stored(stream, s.size(), log.size()));
                log.add(e.eventId());
            }
        }
    }

    private void run(long seed, int steps) {
        Random random = new Random(seed);
        Model model = new Model();
        List<Batch> batches = new ArrayList<>();
        Map<UUID, Long> positions = new HashMap<>();
        long lastPosition = 0;
        try (JdbcEventStore store = JdbcEventStore.open(db().newUrl("model"))) {
            for (int step = 0; step < steps; step++) {
                String where = "seed " + seed + ", step " + step;
                String stream = "m-" + random.nextInt(4);
                int op = random.nextInt(100);
                if (op < 55) {
                    ExpectedVersion expected;
                    List<EventData> events;
                    int kind = random.nextInt(100);
                    if (kind < 70 || batches.isEmpty()) {
                        events = new ArrayList<>();
                        for (int i = 0; i <= random.nextInt(3); i++) {
                            events.add(EventData.of("E", "{\"step\":" + step + ",\"i\":" + i + "}"));
                        }
                        expected = randomExpectation(random, model.version(stream));
                    } else {
                        Batch old = batches.get(random.nextInt(batches.size()));
                        events = new ArrayList<>(old.events());
                        expected = random.nextBoolean()
                                ? old.expected()
                                : randomExpectation(random, model.version(stream));
                        if (kind < 80) {
                            stream = model.ids.get(events.get(0).eventId()).stream(); // a plain repeat
                        } else if (kind < 90) {
                            events.set(events.size() - 1, EventData.of("E", "{}")); // partly repeated
                        } // else: maybe moved to another stream
                    }
                    String predicted = model.outcome(stream, expected, events);
                    String actual;
                    AppendResult result = null;
                    try {
                        result = store.append(stream, expected, events);
                        actual = model.ids.containsKey(events.get(0).eventId()) ? "repeat" : "ok";
                    } catch (WrongExpectedVersionException e) {
                        actual = "wrong " + e.actual();
                    } catch (EventStoreException e) {
                        actual = "refused";
                    }
                    assertThat(actual)
                            .as("%s: append %s to %s expecting %s", where, events.size(), stream, expected)
                            .isEqualTo(predicted);
                    if (predicted.equals("ok")) {
                        model.append(stream, events);
                        assertThat(result.version()).as(where).isEqualTo(model.version(stream));
                        assertThat(result.position()).as(where).isGreaterThan(lastPosition);
                        lastPosition = result.position();
                        batches.add(new Batch(List.copyOf(events), expected, result));
                    } else if (predicted.equals("repeat")) {
                        UUID last = events.get(events.size() - 1).eventId();
                        Batch original = batches.stream()
                                .filter(b -> b.events()
                                        .get(b.events().size() - 1)
                                        .eventId()
                                        .equals(last))
                                .findFirst()
                                .orElseThrow();
                        assertThat(result)
                                .as("%s: a repeat returns the original result", where)
                                .isEqualTo(original.result());
                    }
                } else if (op < 70) {
                    long v = model.version(stream);
                    long from = 1 + random.nextInt((int) v + 2);
                    int max = 1 + random.nextInt(5);
                    List<RecordedEvent> read = store.readStream(stream, from, max);
                    List<UUID> expectedIds = model.streams.getOrDefault(stream, List.of()).stream()
                            .skip(from - 1)
                            .limit(max)
                            .toList();
                    assertThat(read)
                            .extracting(RecordedEvent::eventId)
                            .as("%s: readStream", where)
                            .containsExactlyElementsOf(expectedIds);
                    for (int i = 0; i < read.size(); i++) {
                        assertThat(read.get(i).version()).isEqualTo(from + i);
                    }
                } else if (op < 85) {
                    int start = model.log.isEmpty() ? 0 : random.nextInt(model.log.size() + 1);
                    long after = 0;
                    if (start > 0) {
                        after = positionOf(store, positions, model.log.get(start - 1));
                    }
                    int max = 1 + random.nextInt(7);
                    List<RecordedEvent> read = store.readAll(after, max);
                    assertThat(read)
                            .extracting(RecordedEvent::eventId)
                            .as("%s: readAll after %d", where, after)
                            .containsExactlyElementsOf(
                                    model.log.subList(start, Math.min(model.log.size(), start + max)));
                    read.forEach(r -> positions.put(r.eventId(), r.position()));
                } else {
                    assertThat(store.currentVersion(stream))
                            .as("%s: currentVersion", where)
                            .isEqualTo(model.version(stream));
                }
            }
        }
    }

    private static long positionOf(JdbcEventStore store, Map<UUID, Long> positions, UUID id) {
        Long known = positions.get(id);
        if (known != null) {
            return known;
        }
        long after = 0;
        for (List<RecordedEvent> page; !(page = store.readAll(after, 500)).isEmpty(); ) {
            for (RecordedEvent r : page) {
                positions.put(r.eventId(), r.position());
                after = r.position();
            }
        }
        return positions.get(id);
    }

    private static ExpectedVersion randomExpectation(Random random, long current) {
        return switch (random.nextInt(6)) {
            case 0 -> ExpectedVersion.any();
            case 1 -> ExpectedVersion.noStream();
            case 2 -> ExpectedVersion.streamExists();
            case 3, 4 -> ExpectedVersion.exactly(current);
            default -> ExpectedVersion.exactly(Math.max(0, current + random.nextInt(5) - 2));
        };
    }
}
