package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.StateCodec;
import java.util.Objects;

/**
 * A {@link StateCodec} on Jackson for snapshots of an aggregate's state (usually a record).
 * Uses {@link JacksonEventCodec#defaultObjectMapper()} unless given another mapper. A state that
 * cannot be read throws, and the command loop then folds the aggregate from its events.
 *
 * <p>{@link #of(Class)} reads strictly: every property of the state's creator (every component
 * of a record) must be present in the text. A truncated or hand-edited snapshot such as
 * {@code {"sum":3}} would otherwise come back with {@code null} components, and a state that is
 * wrong but readable is worse than none. So a state written before a component was added is
 * refused too: a snapshot is then replayed from the events; a keyed read model holding such rows
 * fails until it is rebuilt (or give {@link #of(Class, ObjectMapper)} a lenient mapper).
 *
 * @param <S> the state
 */
public final class JacksonStateCodec<S> implements StateCodec<S> {

    private final Class<S> type;
    private final ObjectMapper mapper;

    private JacksonStateCodec(Class<S> type, ObjectMapper mapper) {
        this.type = Objects.requireNonNull(type, "type");
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /** A codec for {@code type} with the default mapper, refusing text that lacks a property. */
    public static <S> JacksonStateCodec<S> of(Class<S> type) {
        ObjectMapper strict = JacksonEventCodec.defaultObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
        return new JacksonStateCodec<>(type, strict);
    }

    /** A codec for {@code type} with this mapper. */
    public static <S> JacksonStateCodec<S> of(Class<S> type, ObjectMapper mapper) {
        return new JacksonStateCodec<>(type, mapper);
    }

    @Override
    public String serialize(S state) {
        try {
            return mapper.writeValueAsString(state);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot serialise state " + type.getName() + ": " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public S deserialize(String text) {
        try {
            S state = mapper.readValue(text, type);
            if (state == null) {
                throw new IllegalArgumentException("cannot read state " + type.getName() + ": the text is JSON null");
            }
            return state;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot read state " + type.getName() + ": " + e.getOriginalMessage(), e);
        }
    }
}
