package io.annals.eventstore.jdbc;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.annals.eventstore.AppendLimits;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.internal.JsonValidator;
import java.io.IOException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * An {@link EventCodec} on Jackson with an explicit registry: each event class is registered under
 * the type name it is stored with, and only registered classes are ever instantiated. Stored data
 * never names a class (no default typing), so a crafted event cannot make the codec load a
 * gadget class.
 *
 * <pre>{@code
 * EventCodec<ProductEvent> codec = JacksonEventCodec.builder(ProductEvent.class)
 *         .register("ProductCreated", ProductCreated.class)
 *         .register("PriceChanged", PriceChanged.class, 2)      // written at schema version 2
 *         .upcast("PriceChanged", 1, v1 -> v1.put("currency", "EUR"))
 *         .alias("PriceUpdated", "PriceChanged")                 // its name before a rename
 *         .retire("ProductViewed")                               // no longer read: skipped
 *         .build();
 * }</pre>
 *
 * <p><b>Changing events.</b> A class is written at the schema version it is registered with
 * (default 1). An event stored at an older version is read through the upcasters of its type, one
 * step at a time, each a pure function on the JSON tree, up to the version of the class; the
 * stored bytes never change. Events at the class's version are read directly, with no tree in
 * between. {@link Builder#build()} refuses a chain with a gap, and an alias or upcaster that
 * points at no type, so a mistake shows when the codec is built, not on the first old event.
 * See the chapter "Changing events" in the docs.
 *
 * <p>Records work as they are. The default mapper ({@link #defaultObjectMapper()}) reads floating
 * point numbers as {@code BigDecimal}, writes {@code BigDecimal} without exponent, and ignores
 * unknown properties so that old code can read events written by newer code. Thread-safe.
 *
 * @param <E> the base type of the events
 */
public final class JacksonEventCodec<E extends Event> implements EventCodec<E> {

    private final ObjectMapper mapper;
    /** Reads trees with decimals as they are written (10.50 stays 10.50), whatever the mapper. */
    private final ObjectReader trees;
    /** Every name events may be stored under (current names and aliases) to its type. */
    private final Map<String, Registered<E>> byName;

    private final Map<Class<?>, Registered<E>> byClass;
    private final Set<String> retired;

    /**
     * One registered class: its current name, the version it is written at, and the upcasters
     * from each older version (index 0 from version 1).
     */
    private record Registered<E>(
            String name,
            Class<? extends E> type,
            int version,
            List<UnaryOperator<ObjectNode>> upcasters,
            ObjectReader reader,
            Function<E, Set<String>> tagger) {}

    private JacksonEventCodec(Builder<E> b, Map<String, Registered<E>> byName, Map<Class<?>, Registered<E>> byClass) {
        this.mapper = b.mapper;
        this.trees = exactTrees(b.mapper);
        this.byName = Map.copyOf(byName);
        this.byClass = Map.copyOf(byClass);
        this.retired = Set.copyOf(b.retired);
    }

    /** A reader of JSON trees that keeps every decimal exact: as {@code BigDecimal}, scale included. */
    static ObjectReader exactTrees(ObjectMapper mapper) {
        return mapper.reader()
                .with(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .without(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES);
    }

    /** Starts a registry for events of {@code baseType} (usually a sealed interface). */
    public static <E extends Event> Builder<E> builder(Class<E> baseType) {
        return new Builder<>(baseType);
    }

    /**
     * A mapper configured for stored events: floats as {@code BigDecimal} (with their trailing
     * zeros, in trees too), {@code BigDecimal} written plainly, unknown properties ignored, no default typing, and read limits that accept
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
        return defaultMapperBuilder(limits).build();
    }

    /** The builder of {@link #defaultObjectMapper(AppendLimits)}, for the codecs to refine. */
    static JsonMapper.Builder defaultMapperBuilder(AppendLimits limits) {
        StreamReadConstraints readLimits = StreamReadConstraints.builder()
                .maxNestingDepth(limits.maxJsonDepth())
                .maxNumberLength(JsonValidator.MAX_NUMBER_LENGTH)
                .maxStringLength(Math.max(limits.maxPayloadBytes(), StreamReadConstraints.DEFAULT_MAX_STRING_LEN))
                .maxNameLength(Math.max(limits.maxPayloadBytes(), StreamReadConstraints.DEFAULT_MAX_NAME_LEN))
                .build();
        return JsonMapper.builder(
                        JsonFactory.builder().streamReadConstraints(readLimits).build())
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                // an upcast event goes through a tree: 10.50 must not come out as 10.5
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);
    }

    /**
     * The tags the function given to {@link Builder#tags} computes for the event's class; none
     * when it has no function.
     */
    @Override
    public Set<String> tags(E event) {
        Registered<E> r = registered(event);
        Set<String> tags = r.tagger().apply(event);
        if (tags == null) {
            throw new IllegalArgumentException("the tags of " + r.name() + " are null: return Set.of() for none");
        }
        return tags;
    }

    @Override
    public String typeName(E event) {
        return registered(event).name();
    }

    @Override
    public int schemaVersion(E event) {
        return registered(event).version();
    }

    private Registered<E> registered(E event) {
        Objects.requireNonNull(event, "event");
        Registered<E> r = byClass.get(event.getClass());
        if (r == null) {
            throw new IllegalArgumentException("event class " + event.getClass().getName()
                    + " is not registered with the codec (registered: " + names() + ")");
        }
        return r;
    }

    private List<String> names() {
        return byClass.values().stream().map(Registered::name).sorted().toList();
    }

    /** Whether events stored under {@code typeName} are read: a registered name or an alias. */
    @Override
    public boolean knows(String typeName) {
        return byName.containsKey(typeName);
    }

    /** Whether {@code typeName} was retired with {@link Builder#retire}. */
    @Override
    public boolean isRetired(String typeName) {
        return retired.contains(typeName);
    }

    /** Every registered name and alias, without the retired types. */
    @Override
    public Set<String> decodedNames() {
        Set<String> names = new TreeSet<>(byName.keySet());
        names.removeAll(retired);
        return Collections.unmodifiableSet(names);
    }

    /**
     * The names events of {@code typeName}'s class may be stored under: the name itself and its
     * aliases, to find every event of a type, old ones included.
     *
     * @throws IllegalArgumentException if {@code typeName} is neither registered nor an alias
     */
    @Override
    public Set<String> storedNames(String typeName) {
        Registered<E> r = byName.get(typeName);
        if (r == null) {
            throw new IllegalArgumentException(unknown(typeName));
        }
        Set<String> names = new TreeSet<>();
        byName.forEach((name, other) -> {
            if (other == r) {
                names.add(name);
            }
        });
        return Collections.unmodifiableSet(names);
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

    /** The event whose JSON {@link #toJson} wrote, at the version its class is registered at. */
    @Override
    public E fromJson(String typeName, String json) {
        Registered<E> r = byName.get(typeName);
        if (r == null) {
            throw new IllegalArgumentException(unknown(typeName));
        }
        return fromJson(typeName, r.version(), json);
    }

    @Override
    public E fromJson(String typeName, int schemaVersion, String json) {
        Registered<E> r = byName.get(typeName);
        if (r == null) {
            throw new IllegalArgumentException(unknown(typeName));
        }
        if (schemaVersion < 1) {
            throw new IllegalArgumentException(
                    "schema version " + schemaVersion + " of " + typeName + " is below 1: no event is stored at it");
        }
        if (schemaVersion > r.version()) {
            throw new IllegalArgumentException("event of type " + typeName + " is at schema version " + schemaVersion
                    + ", newer than version " + r.version() + " that "
                    + r.type().getSimpleName()
                    + " is registered at: it was written by newer code");
        }
        try {
            E event;
            if (schemaVersion == r.version()) {
                event = r.reader().readValue(json);
            } else {
                event = r.reader().readValue(upcast(r, schemaVersion, json));
            }
            if (event == null) {
                throw new IllegalArgumentException("event of type " + typeName + " is JSON null");
            }
            return event;
        } catch (IOException e) { // from a String or a tree: a JsonProcessingException in practice
            throw new IllegalArgumentException(
                    "cannot read an event of type " + typeName + " at schema version " + schemaVersion + " as "
                            + r.type().getSimpleName() + ": "
                            + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()),
                    e);
        }
    }

    /** The stored JSON brought from {@code version} to the class's version, step by step. */
    private ObjectNode upcast(Registered<E> r, int version, String json) throws JsonProcessingException {
        JsonNode tree = trees.readTree(json);
        if (!(tree instanceof ObjectNode node)) {
            throw new IllegalArgumentException("event of type " + r.name() + " is not a JSON object");
        }
        ObjectNode current = node;
        for (int v = version; v < r.version(); v++) {
            ObjectNode next;
            try {
                next = r.upcasters().get(v - 1).apply(current);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        "the upcaster of " + r.name() + " from version " + v + " failed: " + e, e);
            }
            if (next == null) {
                throw new IllegalArgumentException(
                        "the upcaster of " + r.name() + " from version " + v + " returned null");
            }
            current = next;
        }
        return current;
    }

    private String unknown(String typeName) {
        return retired.contains(typeName)
                ? "event type '" + typeName + "' is retired: its events are skipped, not read"
                : "unknown event type '" + typeName + "' (registered: " + names() + ")";
    }

    /**
     * Registers event classes under their stored type names.
     *
     * @param <E> the base type of the events
     */
    public static final class Builder<E extends Event> {
        private final Class<E> baseType;
        private final Map<String, Class<? extends E>> byName = new LinkedHashMap<>();
        private final Map<String, Integer> versions = new HashMap<>();
        private final Map<String, Map<Integer, UnaryOperator<ObjectNode>>> upcasters = new LinkedHashMap<>();
        private final Map<String, String> aliases = new LinkedHashMap<>();
        private final Set<String> retired = new LinkedHashSet<>();
        private final Map<Class<?>, Function<E, Set<String>>> taggers = new HashMap<>();
        private final Function<E, Set<String>> noTags = e -> Set.of();
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
         * Stores events of {@code type} under {@code typeName} at schema version 1. The name is
         * what the database holds: to rename a type, register the class under its new name and
         * keep the old one as an {@link #alias}.
         *
         * @throws IllegalArgumentException if the name or the class is registered already, the
         *     name is blank or over 200 characters, or the class is abstract
         */
        public Builder<E> register(String typeName, Class<? extends E> type) {
            return register(typeName, type, 1);
        }

        /**
         * Stores events of {@code type} under {@code typeName} at {@code schemaVersion}: raise it
         * when the class changes shape, and {@link #upcast} each older version to the next.
         *
         * @throws IllegalArgumentException if the name or the class is registered already (or the
         *     name is an alias or retired), the name is blank or over 200 characters, the class is
         *     abstract, or the version is below 1
         */
        public Builder<E> register(String typeName, Class<? extends E> type, int schemaVersion) {
            Objects.requireNonNull(typeName, "typeName");
            Objects.requireNonNull(type, "type");
            checkName(typeName);
            if (schemaVersion < 1) {
                throw new IllegalArgumentException(
                        "schema version of " + typeName + " must be at least 1, was " + schemaVersion);
            }
            checkFree(typeName);
            if (!baseType.isAssignableFrom(type) || type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
                throw new IllegalArgumentException(type.getName() + " must be a concrete " + baseType.getSimpleName());
            }
            if (byName.containsValue(type)) {
                throw new IllegalArgumentException(type.getName() + " is registered already");
            }
            byName.put(typeName, type);
            versions.put(typeName, schemaVersion);
            return this;
        }

        /**
         * Tags every event of {@code type} (a registered class, or a supertype of registered
         * classes, such as the sealed interface of all events: a class with a function of its own
         * uses that one) with what {@code tagger} computes from it, when it is encoded: for reads by tag and for the conditions of decisions across streams (such as
         * {@code name:<the name>} on a product's creation, so that a rule can find who holds a
         * name). The function must be pure and give the same tags to equal events.
         *
         * @throws IllegalArgumentException if {@code type} has a tag function already
         */
        @SuppressWarnings("unchecked")
        public <T extends E> Builder<E> tags(Class<T> type, Function<? super T, Set<String>> tagger) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(tagger, "tagger");
            if (taggers.putIfAbsent(type, e -> tagger.apply((T) e)) != null) {
                throw new IllegalArgumentException(type.getName() + " has a tag function already");
            }
            return this;
        }

        /**
         * Reads events of {@code typeName} stored at {@code fromVersion} through {@code upcaster}
         * into the shape of version {@code fromVersion + 1}: a pure function on the JSON tree,
         * which it may change in place and return. Chains run in order up to the version the
         * class is registered at. Events stored under an alias of the type go through the same
         * chain.
         *
         * @param typeName the type's current name, as given to {@link #register}
         * @throws IllegalArgumentException if {@code fromVersion} is below 1 or this step has an
         *     upcaster already
         */
        public Builder<E> upcast(String typeName, int fromVersion, UnaryOperator<ObjectNode> upcaster) {
            Objects.requireNonNull(typeName, "typeName");
            Objects.requireNonNull(upcaster, "upcaster");
            if (fromVersion < 1) {
                throw new IllegalArgumentException(
                        "an upcaster of " + typeName + " starts at version 1 or later, not " + fromVersion);
            }
            Map<Integer, UnaryOperator<ObjectNode>> steps = upcasters.computeIfAbsent(typeName, t -> new TreeMap<>());
            if (steps.putIfAbsent(fromVersion, upcaster) != null) {
                throw new IllegalArgumentException("two upcasters of " + typeName + " from version " + fromVersion
                        + " to " + (fromVersion + 1) + ": keep one");
            }
            return this;
        }

        /**
         * Reads events stored under {@code oldName} as events of {@code typeName}, after a rename:
         * same class, same schema versions and upcasters. New events are written under
         * {@code typeName}.
         *
         * @throws IllegalArgumentException if {@code oldName} is registered, an alias already or
         *     retired, or is blank or over 200 characters
         */
        public Builder<E> alias(String oldName, String typeName) {
            Objects.requireNonNull(oldName, "oldName");
            Objects.requireNonNull(typeName, "typeName");
            checkName(oldName);
            if (byName.containsKey(oldName)) {
                throw new IllegalArgumentException("type name '" + oldName + "' is registered already, for "
                        + byName.get(oldName).getName() + ": alias(oldName, typeName) takes the name events were"
                        + " stored under before the rename first, then the registered one");
            }
            checkFree(oldName);
            aliases.put(oldName, typeName);
            return this;
        }

        /**
         * Retires {@code typeName}: its events stay in the log and readers skip them on purpose
         * (the command loop, projections, {@link EventCodec#isRetired}), where an unknown type
         * would fail an aggregate's load. To turn the old events into something else instead,
         * keep a class for them.
         *
         * @throws IllegalArgumentException if {@code typeName} is registered, an alias or retired
         *     already, or is blank or over 200 characters
         */
        public Builder<E> retire(String typeName) {
            Objects.requireNonNull(typeName, "typeName");
            checkName(typeName);
            if (byName.containsKey(typeName)) {
                throw new IllegalArgumentException("type name '" + typeName + "' is registered, for "
                        + byName.get(typeName).getName() + ": a retired type has no class; remove its registration");
            }
            checkFree(typeName);
            retired.add(typeName);
            return this;
        }

        private static void checkName(String typeName) {
            if (typeName.isBlank() || typeName.length() > 200) {
                throw new IllegalArgumentException(
                        "type name must be 1 to 200 characters, not blank: '" + typeName + "'");
            }
        }

        private void checkFree(String typeName) {
            if (byName.containsKey(typeName)) {
                throw new IllegalArgumentException("type name '" + typeName + "' is registered already, for "
                        + byName.get(typeName).getName());
            }
            if (aliases.containsKey(typeName)) {
                throw new IllegalArgumentException(
                        "type name '" + typeName + "' is an alias of " + aliases.get(typeName) + " already");
            }
            if (retired.contains(typeName)) {
                throw new IllegalArgumentException("type name '" + typeName + "' is retired already");
            }
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
         * @throws IllegalStateException if no event class is registered; the base type is sealed
         *     and a concrete class it permits (directly or through sealed subtypes) is not; an
         *     alias names no registered type (or another alias); an upcaster is for a type that
         *     is not registered, or from a version at or above the one its class is registered
         *     at; or a class registered at version N lacks the upcaster of a step from 1 to N (a
         *     gap: events stored at that version would have no path to the class)
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
            List<String> problems = new ArrayList<>();
            Map<String, Registered<E>> registered = new LinkedHashMap<>();
            Map<Class<?>, Registered<E>> byClass = new LinkedHashMap<>();
            byName.forEach((name, type) -> {
                int version = versions.get(name);
                Map<Integer, UnaryOperator<ObjectNode>> steps = upcasters.getOrDefault(name, Map.of());
                List<String> gaps = new ArrayList<>();
                for (int from = 1; from < version && gaps.size() < 5; from++) {
                    if (!steps.containsKey(from)) {
                        gaps.add("from version " + from + " to " + (from + 1));
                    }
                }
                long missingSteps = (version - 1L)
                        - steps.keySet().stream().filter(v -> v < version).count();
                if (!gaps.isEmpty()) {
                    problems.add(name + " is registered at version " + version + " but has no upcaster "
                            + String.join(", ", gaps)
                            + (missingSteps > gaps.size() ? " (" + missingSteps + " steps missing in all)" : "")
                            + ": events stored at those versions could not be read");
                }
                for (int step : steps.keySet()) {
                    if (step >= version) {
                        problems.add("an upcaster of " + name + " from version " + step + ", but its class is"
                                + " registered at version " + version + ": register it at version " + (step + 1));
                    }
                }
                List<UnaryOperator<ObjectNode>> chain = new ArrayList<>();
                if (gaps.isEmpty()) {
                    for (int v = 1; v < version; v++) {
                        chain.add(steps.get(v));
                    }
                }
                Registered<E> r = new Registered<>(
                        name, type, version, List.copyOf(chain), mapper.readerFor(type), tagger(type, problems));
                registered.put(name, r);
                byClass.put(type, r);
            });
            for (String name : upcasters.keySet()) {
                if (!byName.containsKey(name)) {
                    problems.add(
                            aliases.containsKey(name)
                                    ? "upcasters of '" + name + "', an alias: register them under " + aliases.get(name)
                                    : "upcasters of '" + name + "', which is not registered");
                }
            }
            for (Class<?> tagged : taggers.keySet()) {
                if (byName.values().stream().noneMatch(tagged::isAssignableFrom)) {
                    problems.add("a tag function of " + tagged.getName()
                            + ", which is neither registered nor a supertype of a registered class");
                }
            }
            Map<String, Registered<E>> current = Map.copyOf(registered);
            aliases.forEach((oldName, name) -> {
                Registered<E> r = current.get(name);
                if (r == null) {
                    problems.add("alias '" + oldName + "' of '" + name + "', which is not registered"
                            + (aliases.containsKey(name) ? " (it is an alias: name the current type)" : ""));
                } else {
                    registered.put(oldName, r);
                }
            });
            if (!problems.isEmpty()) {
                throw new IllegalStateException("the codec of " + baseType.getSimpleName() + " is misconfigured: "
                        + String.join("; ", problems));
            }
            return new JacksonEventCodec<>(this, registered, byClass);
        }

        /**
         * The tag function of {@code type}: its own, else the one of its supertype (one only),
         * else none.
         */
        private Function<E, Set<String>> tagger(Class<?> type, List<String> problems) {
            Function<E, Set<String>> own = taggers.get(type);
            if (own != null) {
                return own;
            }
            List<Class<?>> supertypes = taggers.keySet().stream()
                    .filter(t -> t.isAssignableFrom(type))
                    .toList();
            if (supertypes.size() > 1) {
                problems.add(type.getName() + " inherits the tag functions of "
                        + supertypes.stream().map(Class::getName).sorted().toList() + ": give it its own");
            }
            return supertypes.size() == 1 ? taggers.get(supertypes.get(0)) : noTags;
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
