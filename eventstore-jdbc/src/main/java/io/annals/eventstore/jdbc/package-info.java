/**
 * The event store on a relational database through plain JDBC: {@link
 * io.annals.eventstore.jdbc.JdbcEventStore} on SQLite or PostgreSQL, with snapshots and
 * projections in the same database ({@link io.annals.eventstore.jdbc.JdbcProjections}), and the
 * Jackson codecs with an explicit registry of event types ({@link
 * io.annals.eventstore.jdbc.JacksonEventCodec}, {@link io.annals.eventstore.jdbc.JacksonStateCodec}).
 *
 * <p>Nothing here is null unless marked {@code @Nullable}.
 */
@NullMarked
package io.annals.eventstore.jdbc;

import org.jspecify.annotations.NullMarked;
