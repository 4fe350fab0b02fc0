/**
 * The event store: the contract every store meets ({@link io.annals.eventstore.EventStore},
 * {@link io.annals.eventstore.ExpectedVersion}, {@link io.annals.eventstore.EventData},
 * {@link io.annals.eventstore.RecordedEvent}), its exceptions, an in-memory store, and the model an
 * application writes: {@link io.annals.eventstore.Command}, {@link io.annals.eventstore.Event},
 * {@link io.annals.eventstore.Aggregate} and the codecs that store events and states.
 *
 * <p>Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.annals.eventstore;

import org.jspecify.annotations.NullMarked;
