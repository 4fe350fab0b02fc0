package io.annals.eventstore.internal;

import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Instrumentation.AppendOutcome;
import io.annals.eventstore.StreamAppend;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** The stores' appends, reported to their {@link Instrumentation}. */
public final class Instrumented {

    private Instrumented() {}

    /**
     * Runs {@code append} between {@link Instrumentation#appendStarted} and the end of its handle,
     * with the outcome of what it returned or threw.
     */
    public static <T> T append(Instrumentation instrumentation, String store, int events, Supplier<T> append) {
        Instrumentation.Append handle = instrumentation.appendStarted(store, events);
        T result;
        try {
            result = append.get();
        } catch (RuntimeException | Error e) {
            handle.ended(AppendOutcome.of(e));
            throw e;
        }
        handle.ended(AppendOutcome.OK);
        return result;
    }

    /** How many events {@code appends} carry, for a report; 0 for a null list (refused later). */
    public static int events(@Nullable List<StreamAppend> appends) {
        if (appends == null) {
            return 0;
        }
        int n = 0;
        for (StreamAppend a : appends) {
            n += a == null ? 0 : a.events().size();
        }
        return n;
    }
}
