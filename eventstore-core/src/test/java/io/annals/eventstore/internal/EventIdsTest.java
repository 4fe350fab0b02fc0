package io.annals.eventstore.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.EventData;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class EventIdsTest {

    @Test
    void an_id_is_a_version_7_uuid_of_the_current_millisecond() {
        long before = System.currentTimeMillis();
        UUID id = EventIds.next();
        long after = System.currentTimeMillis();

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        long millis = id.getMostSignificantBits() >>> 16;
        assertThat(millis).isBetween(before, after + 1); // +1: a full millisecond's counter carries
    }

    @Test
    void ids_of_one_process_increase_even_within_one_millisecond_and_across_threads() throws Exception {
        Set<UUID> all = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                UUID last = null;
                for (int i = 0; i < 20_000; i++) {
                    UUID id = EventIds.next();
                    if (last != null && compareUnsigned(last, id) >= 0) {
                        failures.add(new AssertionError(id + " does not follow " + last));
                        return;
                    }
                    all.add(id);
                    last = id;
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }

        assertThat(failures).isEmpty();
        assertThat(all).hasSize(80_000);
    }

    @Test
    void new_events_get_such_ids() {
        assertThat(EventData.of("T", "{}").eventId().version()).isEqualTo(7);
    }

    /** The order of the ids' bytes, as a database's index of them sorts them. */
    private static int compareUnsigned(UUID a, UUID b) {
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }
}
