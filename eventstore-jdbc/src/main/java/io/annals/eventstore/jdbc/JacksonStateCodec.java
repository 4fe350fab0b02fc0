package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.StateCodec;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StateCodec} on Jackson for snapshots of an aggregate's state and for the rows of keyed
 * read models (usually records). Uses {@link JacksonEventCodec#defaultObjectMapper()} unless given
 * another mapper. A state that cannot be read throws: the command loop then folds the aggregate
 * from its events; a keyed read model stops on the row and asks for a rebuild.
 *
 * <p>{@link #of(Class)} reads strictly: every property of the state's creator (every component
 * of a record) must be present in the text, and the text may hold no other. A truncated or
 * hand-edited snapshot such as {@code {"sum":3}} would otherwise come back with {@code null}
 * components, and a state that is wrong but readable is worse than none.
 *
 * <p><b>When the record changes.</b> A component added to a row's record needs no rebuild if it
 * has a default: {@code JacksonStateCodec.of(View.class).withDefault("currency", "EUR")} reads the
 * rows stored before it as if they held that value. A component removed or changed (renamed, of
 * another type) makes the stored rows unreadable, and the error says to rebuild the read model.
 * For snapshots, raise the snapshot schema version instead: older snapshots are then ignored.
 *
 * @param <S> the state
 */
public final class JacksonStateCodec<S> implements StateCodec<S> {

    private final Class<S> type;
    private final ObjectMapper mapper;
    /** The defaults of added components, as JSON. */
    private final Map<String, JsonNode> defaults;

    private JacksonStateCodec(Class<S> type, ObjectMapper mapper, Map<String, JsonNode> defaults) {
        this.type = Objects.requireNonNull(type, "type");
        this.mapper = Objects.requireNonNull(mapper, "mapper");
        this.defaults = Map.copyOf(defaults);
    }

    /**
     * A codec for {@code type} with the default mapper, refusing text that lacks a property, holds
     * one the type does not have, or holds a value of another kind than its component (a decimal
     * for a {@code long}, a number for a {@code String}, {@code "true"} for a {@code boolean}):
     * Jackson would otherwise convert it, truncating or inventing a value.
     */
    public static <S> JacksonStateCodec<S> of(Class<S> type) {
        ObjectMapper strict = JacksonEventCodec.defaultMapperBuilder(AppendLimits.defaults())
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .withCoercionConfig(
                        LogicalType.Textual,
                        text -> text.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .build();
        return new JacksonStateCodec<>(type, strict, Map.of());
    }

    /** A codec for {@code type} with this mapper. */
    public static <S> JacksonStateCodec<S> of(Class<S> type, ObjectMapper mapper) {
        return new JacksonStateCodec<>(type, mapper, Map.of());
    }

    /**
     * This codec, reading text that lacks {@code component} as if it held {@code value}: for a
     * component added to a record after states or rows of it were stored. What is written always
     * holds every component.
     *
     * @param component the name of a component of the record
     * @param value its value in text stored before it existed; converted as Jackson would
     * @throws IllegalArgumentException if the type is not a record, has no such component, the
     *     component has a default already, or {@code value} does not convert to its type
     */
    public JacksonStateCodec<S> withDefault(String component, Object value) {
        Objects.requireNonNull(component, "component");
        if (!type.isRecord()) {
            throw new IllegalArgumentException(
                    "defaults are for the components of records; " + type.getName() + " is not one");
        }
        RecordComponent found = Arrays.stream(type.getRecordComponents())
                .filter(c -> c.getName().equals(component))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException(type.getSimpleName() + " has no component '"
                        + component + "' (it has "
                        + Arrays.stream(type.getRecordComponents())
                                .map(RecordComponent::getName)
                                .toList() + ")"));
        if (defaults.containsKey(component)) {
            throw new IllegalArgumentException("component '" + component + "' has a default already");
        }
        JsonNode json = mapper.valueToTree(value);
        JavaType componentType = mapper.constructType(found.getGenericType());
        String notA = "the default " + json + " of '" + component + "' is not a " + componentType.toCanonical();
        JsonNode back;
        try {
            back = mapper.valueToTree(mapper.treeToValue(json, componentType));
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException(notA, e);
        }
        // Jackson coerces freely (42 into "42"); a default must be of the component's kind
        boolean sameNumber =
                json.isNumber() && back.isNumber() && json.decimalValue().compareTo(back.decimalValue()) == 0;
        if (!sameNumber && !json.equals(back)) {
            throw new IllegalArgumentException(notA + " (it would be read as " + back + ")");
        }
        Map<String, JsonNode> more = new LinkedHashMap<>(defaults);
        more.put(component, json);
        return new JacksonStateCodec<>(type, mapper, more);
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
        S state;
        try {
            state = read(text);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(
                    "cannot read state " + type.getName() + ": it holds '"
                            + e.getPropertyName() + "', which " + type.getSimpleName()
                            + " no longer has (stored by code in"
                            + " which it had another shape: a keyed read model needs a rebuild; ignoring the property would"
                            + " keep what it held out of the new rows' meaning)",
                    e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot read state " + type.getName() + ": " + e.getOriginalMessage()
                            + (e instanceof MismatchedInputException
                                    ? " (stored by code in which " + type.getSimpleName() + " had another shape:"
                                            + " a keyed read model needs a rebuild, or, for a component added"
                                            + " since, a default: see withDefault)"
                                    : ""),
                    e);
        }
        if (state == null) {
            throw new IllegalArgumentException("cannot read state " + type.getName() + ": the text is JSON null");
        }
        return state;
    }

    private S read(String text) throws JsonProcessingException {
        if (defaults.isEmpty()) {
            return mapper.readValue(text, type);
        }
        if (!mapper.isEnabled(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)) {
            return withDefaults(text, null); // a lenient mapper would not say a component is missing
        }
        try {
            return mapper.readValue(text, type); // what is written holds every component
        } catch (MismatchedInputException missing) {
            return withDefaults(text, missing);
        }
    }

    /** The state from a tree given the defaults of the components the text lacks. */
    private S withDefaults(String text, @Nullable MismatchedInputException failure) throws JsonProcessingException {
        JsonNode tree = JacksonEventCodec.exactTrees(mapper).readTree(text);
        if (!(tree instanceof ObjectNode node)) {
            if (failure != null) {
                throw failure;
            }
            return mapper.readValue(text, type);
        }
        if (failure != null && defaults.keySet().stream().allMatch(node::has)) {
            throw failure;
        }
        defaults.forEach((name, value) -> {
            if (!node.has(name)) {
                node.set(name, value.deepCopy());
            }
        });
        return mapper.treeToValue(node, type);
    }
}
