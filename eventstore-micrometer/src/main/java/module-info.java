/**
 * The {@code Instrumentation} of Annals bound to Micrometer ({@code io.annals.eventstore.micrometer}):
 * {@code MicrometerInstrumentation.of(meterRegistry, observationRegistry)}.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // Micrometer's names come from its manifests
module io.annals.eventstore.micrometer {
    requires transitive io.annals.eventstore;
    requires transitive micrometer.core;
    requires transitive micrometer.observation;
    // @Nullable in signatures: needed to compile this module, by no one else and never at run time.
    requires static org.jspecify;

    exports io.annals.eventstore.micrometer;
}
