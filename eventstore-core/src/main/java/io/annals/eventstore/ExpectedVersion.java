package io.annals.eventstore;

/**
 * What an append expects of the stream it writes to: the optimistic-concurrency check.
 *
 * <p>An append whose expectation does not hold writes nothing and throws
 * {@link WrongExpectedVersionException}. Versions are 1-based: the first event of a stream has
 * version 1, so a missing stream has version 0 and {@code exactly(0)} means the same as
 * {@link #noStream()}.
 */
public sealed interface ExpectedVersion
        permits ExpectedVersion.Any, ExpectedVersion.NoStream, ExpectedVersion.StreamExists, ExpectedVersion.Exactly {

    /** No check: append whatever the stream's current version. */
    static ExpectedVersion any() {
        return Any.INSTANCE;
    }

    /** The stream must not exist yet (its current version is 0). */
    static ExpectedVersion noStream() {
        return NoStream.INSTANCE;
    }

    /** The stream must already hold at least one event. */
    static ExpectedVersion streamExists() {
        return StreamExists.INSTANCE;
    }

    /**
     * The stream's current version must be exactly {@code version}; {@code exactly(0)} is
     * {@link #noStream()}.
     *
     * @throws IllegalArgumentException if {@code version} is negative
     */
    static ExpectedVersion exactly(long version) {
        return new Exactly(version);
    }

    /**
     * Whether a stream whose current version is {@code currentVersion} meets this expectation.
     *
     * @param currentVersion the stream's version, 0 when it does not exist
     */
    boolean isMetBy(long currentVersion);

    /** See {@link ExpectedVersion#any()}. */
    enum Any implements ExpectedVersion {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean isMetBy(long currentVersion) {
            return true;
        }

        @Override
        public String toString() {
            return "any";
        }
    }

    /** See {@link ExpectedVersion#noStream()}. */
    enum NoStream implements ExpectedVersion {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean isMetBy(long currentVersion) {
            return currentVersion == 0;
        }

        @Override
        public String toString() {
            return "no stream";
        }
    }

    /** See {@link ExpectedVersion#streamExists()}. */
    enum StreamExists implements ExpectedVersion {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean isMetBy(long currentVersion) {
            return currentVersion > 0;
        }

        @Override
        public String toString() {
            return "stream exists";
        }
    }

    /**
     * See {@link ExpectedVersion#exactly(long)}.
     *
     * @param version the version the stream must have, 0 for a stream that does not exist
     */
    record Exactly(long version) implements ExpectedVersion {
        /** @throws IllegalArgumentException if {@code version} is negative */
        public Exactly {
            if (version < 0) {
                throw new IllegalArgumentException("expected version cannot be negative, was " + version);
            }
        }

        @Override
        public boolean isMetBy(long currentVersion) {
            return currentVersion == version;
        }

        @Override
        public String toString() {
            return Long.toString(version);
        }
    }
}
