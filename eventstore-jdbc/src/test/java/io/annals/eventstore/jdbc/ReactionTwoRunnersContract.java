package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.tck.ChildJvm;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two runners of the same process manager in two JVMs on one database, one of them killed with
 * SIGKILL again and again in the middle of its batches while deposits go on: each deposit gets
 * exactly one reaction, and a reader tailing the log sees every event once, in order.
 */
abstract class ReactionTwoRunnersContract {

    /** A URL of a fresh, empty store (created). */
    abstract String newStoreUrl() throws Exception;

    @Test
    @Timeout(300)
    void each_reaction_is_stored_once_while_runners_in_two_jvms_are_killed() throws Exception {
        String url = newStoreUrl();
        try (JdbcEventStore store = JdbcEventStore.open(url)) {
            ReactionRaceContract.Tailer tailer = new ReactionRaceContract.Tailer(store);
            tailer.start();
            ChildJvm[] children = new ChildJvm[2];
            try {
                for (int i = 0; i < 2; i++) {
                    children[i] = ChildJvm.start(ReactionChild.class, "128m", "react", url);
                    assertThat(children[i].awaitLine("STARTED"::equals, 60_000))
                            .as(children[i].describe())
                            .isTrue();
                }
                int deposits = 0;
                for (int round = 0; round < 8; round++) {
                    for (int i = 0; i < 60; i++) {
                        store.append("acct-" + (i % 5), ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(i))));
                        deposits++;
                    }
                    Thread.sleep(150 + 50 * (round % 3));
                    int victim = round % 2;
                    children[victim].kill();
                    children[victim].close();
                    children[victim] = ChildJvm.start(ReactionChild.class, "128m", "react", url);
                    assertThat(children[victim].awaitLine("STARTED"::equals, 60_000))
                            .as(children[victim].describe())
                            .isTrue();
                }
                // let the survivors finish, then stop them
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (countEchoes(store) < deposits && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                Thread.sleep(500);
                for (ChildJvm c : children) {
                    c.kill();
                }
                // and finish here, in case a kill left anything behind
                try (ProjectionRunner runner = ProjectionRunner.builder(store)
                        .add(store.projectors().sql(ReactionChild.echo(store), CODEC))
                        .build()) {
                    assertThat(runner.catchUp().get(0).lastError()).isEmpty();
                }
                List<RecordedEvent> tailed = tailer.finish();
                List<RecordedEvent> all = ReactionContract.readAll(store);
                List<RecordedEvent> acct = all.stream()
                        .filter(r -> r.streamId().startsWith("acct-"))
                        .toList();
                Map<String, Long> echoesPerCause = all.stream()
                        .filter(r -> r.streamId().startsWith("echo-"))
                        .collect(Collectors.groupingBy(
                                r -> r.metadata().get(ReactionChild.CAUSE), Collectors.counting()));
                Map<String, Long> twice = new HashMap<>();
                echoesPerCause.forEach((k, v) -> {
                    if (v != 1) {
                        twice.put(k, v);
                    }
                });
                assertThat(acct).hasSize(deposits);
                assertThat(twice).as("causes not echoed exactly once").isEmpty();
                assertThat(echoesPerCause.keySet())
                        .containsExactlyInAnyOrderElementsOf(
                                acct.stream().map(r -> r.eventId().toString()).toList());
                assertThat(ReactionContract.positions(all)).isSorted().doesNotHaveDuplicates();
                assertThat(ReactionContract.positions(tailed))
                        .as("what a tailing reader saw")
                        .isEqualTo(ReactionContract.positions(all));
            } finally {
                for (ChildJvm c : children) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }
    }

    private static long countEchoes(JdbcEventStore store) {
        return ReactionContract.readAll(store).stream()
                .filter(r -> r.streamId().startsWith("echo-"))
                .count();
    }
}
