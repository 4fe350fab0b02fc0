package io.annals.eventstore.jdbc;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.StateCodec;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The projection of the blue-green tests: each stream's total, written as {@code TAG:total}, so
 * a reader tells the version that wrote a row by its tag. Two versions of the code differ by
 * their tag. A deposit of {@code failOn} fails (none when negative).
 */
record BlueGreenLedger(String tag, long failOn) implements Projection<Deposited, String, String> {

    static final String NAME = "ledger";

    static final StateCodec<String> TEXT = new StateCodec<>() {
        @Override
        public String serialize(String state) {
            return state;
        }

        @Override
        public String deserialize(String stored) {
            return stored;
        }
    };

    BlueGreenLedger(String tag) {
        this(tag, -1);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String key(Envelope<Deposited> e) {
        return e.recorded().streamId();
    }

    @Override
    public String apply(String current, Envelope<Deposited> e) {
        if (e.event().amount() == failOn) {
            throw new IllegalStateException("version " + tag + " fails on " + failOn);
        }
        long total = current == null ? 0 : Long.parseLong(current.substring(current.indexOf(':') + 1));
        return tag + ":" + (total + e.event().amount());
    }

    /**
     * The process the crash test kills: {@code URL} builds version {@code v2} beside the one in
     * service, one event per batch, and stops after its first batch, printing {@code BUILDING},
     * until it is killed.
     */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try (JdbcEventStore store = JdbcEventStore.open(args[0])) {
            var ledger = store.projectors()
                    .keyed(new BlueGreenLedger("v2"), io.annals.eventstore.tck.ProjectionRunnerContract.CODEC, TEXT);
            try (var runner = io.annals.eventstore.projection.ProjectionRunner.builder(store)
                    .add(ledger)
                    .batchSize(1)
                    .build()) {
                runner.rebuildBlueGreen(NAME, p -> {
                    out.println("BUILDING " + p.done());
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }
    }
}
