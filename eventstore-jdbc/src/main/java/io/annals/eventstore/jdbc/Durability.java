package io.annals.eventstore.jdbc;

/**
 * How hard the store works to keep an acknowledged append through a crash.
 *
 * <table>
 *   <caption>What each level means per database</caption>
 *   <tr><th>level</th><th>SQLite</th><th>PostgreSQL</th><th>survives</th></tr>
 *   <tr><td>{@link #FULL} (default)</td><td>{@code synchronous=FULL}: one fsync per commit</td>
 *       <td>{@code synchronous_commit} as the server sets it ({@code on} by default)</td>
 *       <td>application crash, OS crash, power cut</td></tr>
 *   <tr><td>{@link #NORMAL}</td><td>{@code synchronous=NORMAL}: fsync at checkpoints only</td>
 *       <td>{@code synchronous_commit=off} on the store's connections</td>
 *       <td>application crash; a power cut, OS or server crash may lose the last commits
 *       (never corrupts)</td></tr>
 * </table>
 */
public enum Durability {
    /** Every acknowledged append is on disk before {@code append} returns. */
    FULL,
    /**
     * Faster commits (about 2.5 times as many single-event appends per second on SQLite); the last
     * acknowledged appends may be lost on power loss or an OS crash, never on an application crash.
     */
    NORMAL
}
