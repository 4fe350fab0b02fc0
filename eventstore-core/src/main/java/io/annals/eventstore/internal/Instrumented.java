package io.annals.eventstore.internal;

import io.annals.eventstore.Instrumentation;
import io.annals.eventstore.Instrumentation.AppendOutcome;
import io.annals.eventstore.StreamAppend;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** The stores' appends, reported to their {@link Instrumentation}. */
public final class Instrumented {

    private static final System.Logger LOG = System.getLogger(Instrumentation.class.getName());

    private Instrumented() {}

    /**
     * Runs {@code append} between {@link Instrumentation#appendStarted} and the end of its handle,
     * with the outcome of what it returned or threw. An instrumentation that throws is logged and
     * ignored: a stored append reported as failed would be retried, and stored twice.
     */
    public static <T> T append(Instrumentation instrumentation, String store, int events, Supplier<T> append) {
        Instrumentation.Append handle = guarded(instrumentation).appendStarted(store, events);
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

    /**
     * {@code instrumentation}, with every call and every handle made unable to throw: what it
     * throws is logged (WARNING) and the work goes on. {@link Instrumentation#none()} is
     * returned as it is.
     */
    public static Instrumentation guarded(Instrumentation instrumentation) {
        if (instrumentation == Instrumentation.none() || instrumentation instanceof Guarded) {
            return instrumentation;
        }
        return new Guarded(instrumentation);
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

    private static void failed(String call, RuntimeException e) {
        LOG.log(Level.WARNING, "the instrumentation threw from " + call + "; the work goes on", e);
    }

    /** An instrumentation whose failures are logged, never thrown. */
    private static final class Guarded implements Instrumentation {
        private final Instrumentation delegate;

        Guarded(Instrumentation delegate) {
            this.delegate = delegate;
        }

        @Override
        public Append appendStarted(String store, int events) {
            Append handle;
            try {
                handle = delegate.appendStarted(store, events);
            } catch (RuntimeException e) {
                failed("appendStarted", e);
                return Append.NONE;
            }
            if (handle == null) {
                return Append.NONE;
            }
            return outcome -> {
                try {
                    handle.ended(outcome);
                } catch (RuntimeException e) {
                    failed("Append.ended", e);
                }
            };
        }

        @Override
        public Command commandStarted(String kind, String handler) {
            Command handle;
            try {
                handle = delegate.commandStarted(kind, handler);
            } catch (RuntimeException e) {
                failed("commandStarted", e);
                return Command.NONE;
            }
            if (handle == null) {
                return Command.NONE;
            }
            return new Command() {
                @Override
                public void conflict(boolean retried) {
                    try {
                        handle.conflict(retried);
                    } catch (RuntimeException e) {
                        failed("Command.conflict", e);
                    }
                }

                @Override
                public void ended(CommandOutcome outcome, int attempts) {
                    try {
                        handle.ended(outcome, attempts);
                    } catch (RuntimeException e) {
                        failed("Command.ended", e);
                    }
                }
            };
        }

        @Override
        public Batch batchStarted(String projection, int events) {
            Batch handle;
            try {
                handle = delegate.batchStarted(projection, events);
            } catch (RuntimeException e) {
                failed("batchStarted", e);
                return Batch.NONE;
            }
            if (handle == null) {
                return Batch.NONE;
            }
            return failure -> {
                try {
                    handle.ended(failure);
                } catch (RuntimeException e) {
                    failed("Batch.ended", e);
                }
            };
        }

        @Override
        public void projectionLag(String projection, long positions, Duration behind) {
            try {
                delegate.projectionLag(projection, positions, behind);
            } catch (RuntimeException e) {
                failed("projectionLag", e);
            }
        }

        @Override
        public void horizonWaited(String store, Duration waited) {
            try {
                delegate.horizonWaited(store, waited);
            } catch (RuntimeException e) {
                failed("horizonWaited", e);
            }
        }
    }
}
