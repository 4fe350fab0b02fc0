package io.annals.eventstore;

/**
 * A fact that happened to an aggregate. Domain events are records, one sealed interface per
 * aggregate. The records are the stored format: an {@link EventCodec} turns them into JSON under a
 * registered type name, so renaming a field or a type changes what is stored.
 */
public interface Event {}
