package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.annals.eventstore.StateCodec;
import java.util.Objects;

/**
 * A {@link StateCodec} on Jackson for snapshots of an aggregate's state (usually a record).
 * Uses {@link JacksonEventCodec#defaultObjectMapper()} unless given another mapper. A state that
 * cannot be read throws, and the command loop then folds the aggregate from its events.
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

    /** A codec for {@code type} with the default mapper. */
    public static <S> JacksonStateCodec<S> of(Class<S> type) {
        return new JacksonStateCodec<>(type, JacksonEventCodec.defaultObjectMapper());
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
            throw new IllegalArgumentException("cannot serialise state " + type.getName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    @Override
    public S deserialize(String text) {
        try {
            return mapper.readValue(text, type);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot read state " + type.getName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }
}
