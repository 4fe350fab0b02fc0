/**
 * The event store on a relational database through plain JDBC: {@link
 * io.annals.eventstore.jdbc.JdbcEventStore} on SQLite or PostgreSQL, its options ({@link
 * io.annals.eventstore.jdbc.OpenMode}, {@link io.annals.eventstore.jdbc.Durability}), snapshots
 * and projections in the same database ({@link io.annals.eventstore.jdbc.JdbcProjectors}, {@link
 * io.annals.eventstore.jdbc.SqlProjection}), and the Jackson codecs with an explicit registry of
 * event types ({@link io.annals.eventstore.jdbc.JacksonEventCodec}, {@link
 * io.annals.eventstore.jdbc.JacksonStateCodec}).
 *
 * <p>Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.annals.eventstore.jdbc;

import org.jspecify.annotations.NullMarked;
