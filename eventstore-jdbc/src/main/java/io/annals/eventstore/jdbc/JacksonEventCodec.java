package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.internal.JsonValidator;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An {@link EventCodec} on Jackson with an explicit registry: each event class is registered under
 * the type name it is stored with, and only registered classes are ever instantiated. Stored data
 * never names a class (no default typing), so a crafted event cannot make the codec load a
 * gadget class.
 *
 * <pre>{@code
 * EventCodec<ProductEvent> codec = JacksonEventCodec.builder(ProductEvent.class)
 *         .register("ProductCreated", ProductCreated.class)
 *         .register("PriceChanged", PriceChanged.class)
 *         .build();
 * }</pre>
 *
 * <p>Records work as they are. The default mapper ({@link #defaultObjectMapper()}) reads floating
 * point numbers as {@code BigDecimal}, writes {@code BigDecimal} without exponent, and ignores
 * unknown properties so that old code can read events written by newer code. Thread-safe.
 *
 * @param <E> the base type of the events
 */
public final class JacksonEventCodec<E extends Event> implements EventCodec<E> {

    private final ObjectMapper mapper;
    private final Map<String, Class<? extends E>> byName;
    private final Map<Class<?>, String> byClass;

    private JacksonEventCodec(Builder<E> b) {
        this.mapper = b.mapper;
        this.byName = Map.copyOf(b.byName);
        Map<Class<?>, String> classes = new LinkedHashMap<>();
        b.byName.forEach((name, type) -> classes.put(type, name));
        this.byClass = Map.copyOf(classes);
    }

    /** Starts a registry for events of {@code baseType} (usually a sealed interface). */
    public static <E extends Event> Builder<E> builder(Class<E> baseType) {
        return new Builder<>(baseType);
    }

    /**
     * A mapper configured for stored events: floats as {@code BigDecimal}, {@code BigDecimal}
     * written plainly, unknown properties ignored, no default typing, and read limits that accept
     * whatever a store with the default {@link AppendLimits} accepts (Jackson's own defaults
     * refuse a key over 50,000 characters, which a 1 MiB payload may hold, and the event would be
     * unreadable: a poison event). A base to customise for {@link Builder#objectMapper}.
     */
    public static ObjectMapper defaultObjectMapper() {
        return defaultObjectMapper(AppendLimits.defaults());
    }

    /**
     * {@link #defaultObjectMapper()} with read limits that accept whatever a store with
     * {@code limits} accepts: give the codec the limits given to the store.
     */
    public static ObjectMapper defaultObjectMapper(AppendLimits limits) {
        StreamReadConstraints readLimits = StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxJsonDepth())
                .maxNumberLength(JsonValidator.MAX_NUMBER_LENGTH)
                .maxStringLength(Math.max(limits.maxPayloadBytes(), StreamReadConstraints.DEFAULT_MAX_STRING_LEN))
                .maxNameLength(Math.max(limits.maxPayloadBytes(), StreamReadConstraints.DEFAULT_MAX_NAME_LEN))
                .build();
        return JsonMapper.builder(
                        JsonFactory.builder().streamReadConstraints(readLimits).build())
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
                .build();
    }

    @Override
    public String typeName(E event) {
        Objects.requireNonNull(event, "event");
        String name = byClass.get(event.getClass());
        if (name == null) {
            throw new IllegalArgumentException("event class " + event.getClass().getName()
                    + " is not registered with the codec (registered: " + byName.keySet() + ")");
        }
        return name;
    }

    /** Whether {@code typeName} is registered. */
    @Override
    public boolean knows(String typeName) {
        return byName.containsKey(typeName);
    }

    @Override
    public String toJson(E event) {
        typeName(event); // refuse unregistered classes on the way in, not only on the way out
        try {
            String json = mapper.writeValueAsString(event);
            if (!json.startsWith("{")) {
                throw new IllegalArgumentException(
                        "event " + event.getClass().getName() + " does not serialise to a JSON object: " + json);
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot serialise " + event.getClass().getName() + ": " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public E fromJson(String typeName, String json) {
        Class<? extends E> type = byName.get(typeName);
        if (type == null) {
            throw new IllegalArgumentException(
                    "unknown event type '" + typeName + "' (registered: " + byName.keySet() + ")");
        }
        try {
            E event = mapper.readValue(json, type);
            if (event == null) {
                throw new IllegalArgumentException("event of type " + typeName + " is JSON null");
            }
            return event;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "cannot read an event of type " + typeName + " as " + type.getSimpleName() + ": "
                            + e.getOriginalMessage(),
                    e);
        }
    }

    /**
     * Registers event classes under their stored type names.
     *
     * @param <E> the base type of the events
     */
    public static final class Builder<E extends Event> {
        private final Class<E> baseType;
        private final Map<String, Class<? extends E>> byName = new LinkedHashMap<>();
        private ObjectMapper mapper = defaultObjectMapper();

        private Builder(Class<E> baseType) {
            this.baseType = Objects.requireNonNull(baseType, "baseType");
        }

        /**
         * Reads with limits that accept whatever a store with {@code limits} accepts: give the
         * codec the limits given to the store when they are not the defaults. Replaces the
         * mapper with {@code defaultObjectMapper(limits)}.
         */
        public Builder<E> limits(AppendLimits limits) {
            this.mapper = defaultObjectMapper(Objects.requireNonNull(limits, "limits"));
            return this;
        }

        /**
         * Stores events of {@code type} under {@code typeName}. The name is what the database
         * holds: never change it once events are stored.
         *
         * @throws IllegalArgumentException if the name or the class is registered already, the
         *     name is blank or over 200 characters, or the class is abstract
         */
        public Builder<E> register(String typeName, Class<? extends E> type) {
            Objects.requireNonNull(typeName, "typeName");
            Objects.requireNonNull(type, "type");
            if (typeName.isBlank() || typeName.length() > 200) {
                throw new IllegalArgumentException(
                        "type name must be 1 to 200 characters, not blank: '" + typeName + "'");
            }
            if (!baseType.isAssignableFrom(type) || type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
                throw new IllegalArgumentException(type.getName() + " must be a concrete " + baseType.getSimpleName());
            }
            if (byName.containsKey(typeName)) {
                throw new IllegalArgumentException("type name '" + typeName + "' is registered already, for "
                        + byName.get(typeName).getName());
            }
            if (byName.containsValue(type)) {
                throw new IllegalArgumentException(type.getName() + " is registered already");
            }
            byName.put(typeName, type);
            return this;
        }

        /**
         * Uses this mapper instead of {@link #defaultObjectMapper()}.
         *
         * @throws IllegalArgumentException if the mapper has default typing enabled, which would
         *     let stored data name the class to instantiate
         */
        public Builder<E> objectMapper(ObjectMapper mapper) {
            Objects.requireNonNull(mapper, "mapper");
            if (mapper.getDeserializationConfig().getDefaultTyper(mapper.constructType(JsonNode.class)) != null
                    || mapper.getDeserializationConfig().getDefaultTyper(mapper.constructType(Object.class)) != null) {
                throw new IllegalArgumentException("the ObjectMapper has default typing enabled: "
                        + "stored data could name any class to instantiate; disable it");
            }
            this.mapper = mapper;
            return this;
        }

        /**
         * The codec.
         *
         * @throws IllegalStateException if no event class is registered, or the base type is
         *     sealed and a concrete class it permits (directly or through sealed subtypes) is not
         */
        public JacksonEventCodec<E> build() {
            if (byName.isEmpty()) {
                throw new IllegalStateException("register at least one event class");
            }
            List<String> missing = new ArrayList<>();
            unregistered(baseType, missing);
            if (!missing.isEmpty()) {
                throw new IllegalStateException(baseType.getName() + " is sealed, but " + missing
                        + " are not registered: their events could be neither stored nor read; "
                        + "register every class it permits");
            }
            return new JacksonEventCodec<>(this);
        }

        /** The concrete classes of a sealed hierarchy that are not registered. */
        private void unregistered(Class<?> type, List<String> missing) {
            boolean concrete = !type.isInterface() && !Modifier.isAbstract(type.getModifiers());
            if (concrete && !byName.containsValue(type)) {
                missing.add(type.getName());
            }
            if (type.isSealed()) {
                for (Class<?> permitted : type.getPermittedSubclasses()) {
                    unregistered(permitted, missing);
                }
            }
        }
    }
}
