/**
 * The event store on SQLite and PostgreSQL through plain JDBC ({@code io.annals.eventstore.jdbc}):
 * {@code JdbcEventStore}, snapshots and projections in the same database, and the Jackson codecs.
 *
 * <p>Jackson reads and writes the application's event and state records by reflection: a modular
 * application opens their packages to {@code com.fasterxml.jackson.databind}.
 */
@SuppressWarnings("requires-automatic") // pgjdbc has no module descriptor: its name comes from its manifest
module io.annals.eventstore.jdbc {
    requires transitive io.annals.eventstore;
    requires transitive java.sql;
    requires transitive com.fasterxml.jackson.databind;
    requires com.zaxxer.hikari;
    requires org.xerial.sqlitejdbc;
    requires org.postgresql.jdbc;
    // @Nullable in signatures: needed to compile this module, by no one else and never at run
    // time (javac's "exports" lint, which would want it transitive, is off for this reason).
    requires static org.jspecify;

    exports io.annals.eventstore.jdbc;
}
