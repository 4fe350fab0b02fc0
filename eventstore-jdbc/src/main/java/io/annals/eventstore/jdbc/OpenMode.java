package io.annals.eventstore.jdbc;

/**
 * What a store may do to its database when it opens.
 *
 * <table>
 *   <caption>Opening modes</caption>
 *   <tr><th>mode</th><th>schema</th><th>a missing SQLite file</th><th>appends</th></tr>
 *   <tr><td>{@link #MIGRATE} (default)</td><td>created or migrated to this version</td>
 *       <td>created</td><td>yes</td></tr>
 *   <tr><td>{@link #VALIDATE}</td><td>checked, never changed: the store refuses to open, naming
 *       the missing versions, when it is behind</td><td>an error</td><td>yes</td></tr>
 *   <tr><td>{@link #READ_ONLY}</td><td>checked, never changed</td><td>an error</td>
 *       <td>no: {@link io.annals.eventstore.ReadOnlyStoreException}</td></tr>
 * </table>
 */
public enum OpenMode {
    /** Create or migrate the schema, then open. */
    MIGRATE,
    /**
     * Open only a database whose schema is exactly this version's; for applications that apply
     * the DDL themselves (see {@link JdbcEventStore.Builder#ddl()}).
     */
    VALIDATE,
    /**
     * Open for reading, writing nothing, not even at open: a SQLite file is opened read-only, and
     * a PostgreSQL hot standby or a read-only session can serve it. Appends, snapshots and
     * projection batches fail with {@link io.annals.eventstore.ReadOnlyStoreException}; read
     * models can be queried.
     */
    READ_ONLY
}
