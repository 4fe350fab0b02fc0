/**
 * Snapshots of an aggregate's state, a cache that makes loading a long stream fast: what a
 * snapshot is, where it is kept ({@link io.annals.eventstore.snapshot.SnapshotStore}) and when
 * the command loop takes one ({@link io.annals.eventstore.snapshot.SnapshotSettings}).
 */
@NullMarked
package io.annals.eventstore.snapshot;

import org.jspecify.annotations.NullMarked;
