package io.annals.eventstore;

import java.util.Objects;

/**
 * An append's {@link ExpectedVersion} did not hold: another writer got there first, or the
 * stream is not in the state the caller assumed. Nothing was written.
 *
 * <p>The usual reaction is to reload the stream, decide again and retry; the command loop
 * ({@code CommandHandler}) does exactly that.
 */
public class WrongExpectedVersionException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final String streamId;
    private final transient ExpectedVersion expected;
    private final long actual;

    /**
     * @param streamId the stream appended to
     * @param expected what the append expected
     * @param actual the stream's current version, 0 if it does not exist
     */
    public WrongExpectedVersionException(String streamId, ExpectedVersion expected, long actual) {
        super("Wrong expected version for stream " + streamId + ": expected "
                + Objects.requireNonNull(expected, "expected") + ", actual " + actual);
        this.streamId = streamId;
        this.expected = expected;
        this.actual = actual;
    }

    /** The stream appended to. */
    public String streamId() {
        return streamId;
    }

    /** What the append expected. */
    public ExpectedVersion expected() {
        return expected;
    }

    /** The stream's current version when the append was refused; 0 if it does not exist. */
    public long actual() {
        return actual;
    }
}
