package io.annals.eventstore.tck;

import io.annals.eventstore.Envelope;
import io.annals.eventstore.projection.Projection;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A projection with a poison event, for the tests of error policies: each stream's amounts,
 * comma-separated, in the order they were applied; a deposit of 13 fails while {@code broken}
 * is set.
 */
public final class UnluckyAmounts implements Projection<Deposited, String, String> {

    private final AtomicBoolean broken;

    /** Fails on 13 while {@code broken} holds true. */
    public UnluckyAmounts(AtomicBoolean broken) {
        this.broken = broken;
    }

    @Override
    public String name() {
        return "amounts";
    }

    @Override
    public String key(Envelope<Deposited> e) {
        return e.recorded().streamId();
    }

    @Override
    public String apply(String current, Envelope<Deposited> e) {
        if (broken.get() && e.event().amount() == 13) {
            throw new IllegalStateException("thirteen is unlucky");
        }
        return (current == null ? "" : current + ",") + e.event().amount();
    }
}
