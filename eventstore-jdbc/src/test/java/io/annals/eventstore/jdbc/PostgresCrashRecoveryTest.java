package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.tck.ChildJvm;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenarios 1 and 2 on PostgreSQL, plus (nightly) the server itself stopped with
 * {@code pg_ctlcluster ... stop -m immediate} in the middle of appends.
 */
@Tag("postgres")
class PostgresCrashRecoveryTest extends CrashRecoveryContract {

    private static final ReliabilityDb DB = ReliabilityDb.postgres();

    @Override
    ReliabilityDb db() {
        return remember(DB);
    }

    @Test
    @Tag("nightly")
    @Timeout(1800)
    void a_server_stopped_immediately_mid_append_keeps_every_acknowledged_batch_whole() throws Exception {
        Random random = new Random(15);
        String url = db().newUrl("server-stop");
        JdbcEventStore.open(url).close();
        Map<String, Acked> acked = new LinkedHashMap<>();
        for (int round = 0; round < 5; round++) {
            try (ChildJvm child =
                    ChildJvm.start(CrashChild.class, null, "append", url, Long.toString(random.nextLong()))) {
                assertThat(child.awaitLine(l -> l.startsWith("ACK "), 60_000))
                        .as(child.describe())
                        .isTrue();
                Thread.sleep(random.nextInt(500));
                int before;
                try {
                    PostgresServer.stopImmediately();
                    before = child.lines().size();
                    Thread.sleep(1000 + random.nextInt(2000));
                } finally {
                    PostgresServer.ensureRunning();
                }
                // The child goes on by itself once the server is back: an acknowledgement after
                // the restart.
                int mark = before;
                assertThat(child.awaitLine(
                                l -> l.startsWith("ACK ") && child.lines().indexOf(l) >= mark, 120_000))
                        .as("round %d: appends resume after the restart; %s", round, child.describe())
                        .isTrue();
                Thread.sleep(random.nextInt(300));
                child.kill();
                assertThat(child.lines())
                        .as("errors during the outage are typed")
                        .filteredOn(l -> l.startsWith("ERR "))
                        .allMatch(l -> l.startsWith("ERR EventStoreException: "));
                for (String line : child.lines()) {
                    if (line.startsWith("ACK ")) {
                        Acked a = Acked.parse(line);
                        acked.put(a.batch(), a);
                    }
                }
            } finally {
                PostgresServer.ensureRunning();
            }
            checkAppendLog(url, acked);
        }
    }
}
