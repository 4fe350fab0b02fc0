package io.annals.eventstore;

/**
 * Serialises an aggregate's state for snapshots. {@code eventstore-jdbc} has a Jackson
 * implementation.
 *
 * @param <S> the state
 */
public interface StateCodec<S> {

    /** The state as text (JSON in the provided implementations). */
    String serialize(S state);

    /**
     * The state back from text.
     *
     * @throws RuntimeException if the text does not fit; the command loop then replays the events
     */
    S deserialize(String text);
}
