/**
 * Read models folded from the global log.
 *
 * <table>
 *   <caption>The vocabulary</caption>
 *   <tr><th>type</th><th>what it is</th><th>who writes it</th></tr>
 *   <tr><td>{@link io.annals.eventstore.projection.Projection}</td><td>a keyed fold: the read
 *       model is a map, each event changes at most one row</td><td>the application</td></tr>
 *   <tr><td>{@link io.annals.eventstore.projection.Projector}</td><td>applies one projection to
 *       its storage, with a checkpoint, exactly once; the runner drives it</td><td>the store
 *       ({@link io.annals.eventstore.projection.InMemoryProjector}, the JDBC store's
 *       {@code projectors()})</td></tr>
 *   <tr><td>{@link io.annals.eventstore.projection.ReadModel}</td><td>the query side of a keyed
 *       projection</td><td>the store</td></tr>
 *   <tr><td>{@link io.annals.eventstore.projection.KeyedProjector}</td><td>a projector whose read
 *       model can be queried</td><td>the store</td></tr>
 *   <tr><td>{@link io.annals.eventstore.projection.ProjectionRunner}</td><td>tails the log for
 *       each projector, on a thread of its own; rebuilds; read-your-writes</td><td>the
 *       library</td></tr>
 * </table>
 */
@NullMarked
package io.annals.eventstore.projection;

import org.jspecify.annotations.NullMarked;
