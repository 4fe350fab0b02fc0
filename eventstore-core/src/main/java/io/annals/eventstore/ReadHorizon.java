package io.annals.eventstore;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Where readers of the global log stand: {@link EventStore#readAll} returns only events below
 * {@code position}, because a write that may still add events below it is in flight. Readers
 * never skip such a write; they wait for it to end. On a store whose writers commit in position
 * order (in memory, SQLite) nothing holds readers back and the horizon is the end of the log.
 *
 * @param position readers stop below this position ({@link Long#MAX_VALUE}: the end of the log)
 * @param heldBy the write that holds the horizon, when there is one
 */
public record ReadHorizon(long position, Optional<Holder> heldBy) {

    /**
     * @throws NullPointerException if {@code heldBy} is null
     */
    public ReadHorizon {
        Objects.requireNonNull(heldBy, "heldBy");
    }

    /** The horizon of a store that nothing holds back: the end of the log. */
    public static ReadHorizon endOfLog() {
        return new ReadHorizon(Long.MAX_VALUE, Optional.empty());
    }

    /**
     * How long readers have been held back: the age of the holding transaction, zero when nothing
     * holds them or the age is not known.
     */
    public Duration age() {
        return heldBy.flatMap(Holder::age).orElse(Duration.ZERO);
    }

    /**
     * A write in flight that holds readers back.
     *
     * @param pid the database session running it, where the database has one (PostgreSQL's
     *     backend pid) and the reading role may see it
     * @param age how long its transaction has run, where known
     * @param description what it is, for people: the session, its application and state, or why
     *     the store cannot tell
     */
    public record Holder(OptionalLong pid, Optional<Duration> age, String description) {
        /**
         * @throws NullPointerException if an argument is null
         */
        public Holder {
            Objects.requireNonNull(pid, "pid");
            Objects.requireNonNull(age, "age");
            Objects.requireNonNull(description, "description");
        }
    }
}
