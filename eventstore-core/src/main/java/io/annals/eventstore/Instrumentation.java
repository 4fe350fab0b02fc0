package io.annals.eventstore;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * What the library tells about its own work, for metrics and traces: appends and their outcome,
 * commands and their conflicts, projection batches and lag, and the waits of readers held back by
 * appends in flight. {@code eventstore-micrometer} binds it to Micrometer; {@link #none()} does
 * nothing and is the default.
 *
 * <p>Configure it once, on the store ({@code JdbcEventStore.Builder.instrumentation}, or the
 * {@link InMemoryEventStore} constructor): the store reports its appends, and the command
 * handlers, decision handlers and projection runners built on that store take it from
 * {@link EventStore#instrumentation()}, unless their builder is given another.
 *
 * <p>Every method has a default that does nothing, so an implementation overrides only what it
 * wants. The methods are called on the thread doing the work, in the middle of it: they must
 * return quickly and should not throw. What they throw anyway is logged (WARNING) and ignored, so
 * that a broken meter never fails an append that was stored (a caller told it failed would
 * retry it, and store it twice), a command or a projection batch. An operation's handle ({@link Append}, {@link Command},
 * {@link Batch}) is ended exactly once, on the thread that started it, so that an implementation
 * may keep a tracing scope open in between (work started inside it, such as the appends of a
 * command, is then its child). Tag values passed in are few and fixed (store kinds, aggregate
 * categories, projection names), never stream ids: they can be used as metric tags as they are.
 */
public interface Instrumentation {

    /** The instrumentation that does nothing; what stores and handlers use unless told otherwise. */
    static Instrumentation none() {
        return NoInstrumentation.INSTANCE;
    }

    /**
     * An append begins: one call of {@link EventStore#append} or {@link EventStore#deleteStream}.
     *
     * @param store the kind of store: {@code "memory"}, {@code "sqlite"} or {@code "postgresql"}
     * @param events how many events it carries (a deletion carries none)
     * @return the handle to end when the append returns or fails
     */
    default Append appendStarted(String store, int events) {
        return Append.NONE;
    }

    /**
     * A command begins in a {@code CommandHandler} or a {@code DecisionHandler}.
     *
     * @param kind {@code "aggregate"} (a {@code CommandHandler}) or {@code "decision"}
     * @param handler which one: the aggregate's category, or the decision handler's name
     * @return the handle told of conflicts, and ended when the command returns or fails
     */
    default Command commandStarted(String kind, String handler) {
        return Command.NONE;
    }

    /**
     * A projection runner begins to apply a batch of events it read from the log to a projection
     * (its read model and checkpoint; reads that found nothing new are not batches).
     *
     * @param projection the projection's name
     * @param events how many events the batch holds
     * @return the handle to end when the batch is applied or fails
     */
    default Batch batchStarted(String projection, int events) {
        return Batch.NONE;
    }

    /**
     * How far a projection is behind the log, after each batch of a projection runner (only
     * while the instrumentation is not {@link #none()}).
     *
     * @param projection the projection's name
     * @param positions the log's last position minus the projection's checkpoint, 0 when it is
     *     caught up. On PostgreSQL positions are not contiguous (they follow transaction ids), so
     *     this is a distance in the log, not a number of events: use it as zero or not.
     * @param behind 0 when caught up; otherwise how old the last event applied was when more
     *     events were waiting
     */
    default void projectionLag(String projection, long positions, Duration behind) {}

    /**
     * A read of the global log on PostgreSQL waited for appends still in flight below events it
     * was to return (see {@code docs/consistency.md}), and for how long. Reads that did not wait
     * are not reported.
     *
     * @param store the kind of store
     * @param waited how long the read waited
     */
    default void horizonWaited(String store, Duration waited) {}

    /** How an append ended. */
    enum AppendOutcome {
        /** Stored, or recognised as a repeat of an append already stored. */
        OK("ok"),
        /** {@link WrongExpectedVersionException}. */
        WRONG_EXPECTED_VERSION("wrong_expected_version"),
        /** {@link AppendConditionFailedException}. */
        CONDITION_FAILED("condition_failed"),
        /** {@link DuplicateEventIdException}. */
        DUPLICATE("duplicate"),
        /** {@link StreamDeletedException}. */
        DELETED_STREAM("deleted_stream"),
        /** Any other failure, bad input included. */
        ERROR("error");

        private final String tag;

        AppendOutcome(String tag) {
            this.tag = tag;
        }

        /** The outcome as a tag value: lower case, words joined by {@code _}. */
        public String tag() {
            return tag;
        }

        /** The outcome of an append that threw {@code failure}. */
        public static AppendOutcome of(Throwable failure) {
            if (failure instanceof WrongExpectedVersionException) {
                return WRONG_EXPECTED_VERSION;
            }
            if (failure instanceof AppendConditionFailedException) {
                return CONDITION_FAILED;
            }
            if (failure instanceof DuplicateEventIdException) {
                return DUPLICATE;
            }
            if (failure instanceof StreamDeletedException) {
                return DELETED_STREAM;
            }
            return ERROR;
        }
    }

    /** How a command ended. */
    enum CommandOutcome {
        /** Decided and stored, or decided to need nothing. */
        OK("ok"),
        /** Recognised as a repeat of a command already stored (same command id), not decided again. */
        REPEATED("repeated"),
        /** {@link CommandRejectedException}. */
        REJECTED("rejected"),
        /** Concurrent writers won every attempt. */
        CONFLICT("conflict"),
        /** Any other failure. */
        ERROR("error");

        private final String tag;

        CommandOutcome(String tag) {
            this.tag = tag;
        }

        /** The outcome as a tag value: lower case. */
        public String tag() {
            return tag;
        }
    }

    /** An append under way. */
    @FunctionalInterface
    interface Append {
        /** The handle that does nothing. */
        Append NONE = outcome -> {};

        /** The append returned ({@link AppendOutcome#OK}) or threw. */
        void ended(AppendOutcome outcome);
    }

    /** A command under way. */
    interface Command {
        /** The handle that does nothing. */
        Command NONE = new Command() {
            @Override
            public void ended(CommandOutcome outcome, int attempts) {}
        };

        /**
         * An attempt's append met a concurrent change (a wrong expected version or a failed
         * condition).
         *
         * @param retried whether the command is decided again; false when it was the last attempt
         */
        default void conflict(boolean retried) {}

        /**
         * The command returned or threw.
         *
         * @param attempts how many times it was decided
         */
        void ended(CommandOutcome outcome, int attempts);
    }

    /** A projection batch under way. */
    @FunctionalInterface
    interface Batch {
        /** The handle that does nothing. */
        Batch NONE = failure -> {};

        /**
         * The batch was applied, or failed.
         *
         * @param failure what it failed with; null when it was applied
         */
        void ended(@Nullable Throwable failure);
    }
}

/** {@link Instrumentation#none()}. */
enum NoInstrumentation implements Instrumentation {
    INSTANCE
}
