package io.annals.eventstore.projection;

/**
 * A {@link Projector} whose projection can be rebuilt beside the version in service (a
 * blue-green rebuild, {@link ProjectionRunner#rebuildBlueGreen}): the new version has rows and a
 * checkpoint of its own while the old one keeps serving reads and keeps being updated, and one
 * atomic step switches readers from the old to the new. The JDBC keyed projectors are; the
 * runner drives them, and an application rarely calls these methods itself.
 *
 * <p>A projector that reacts to events (appends them, or delivers them to a subscriber) is not:
 * building a version replays the whole log, and the reactions would happen again.
 */
public interface BlueGreenProjector extends Projector {

    /**
     * Starts a new, empty version of this projection beside the one in service, to be built with
     * this projector's code. What an earlier build left (one that failed, or whose process died,
     * before it switched) is dropped first: a build always starts from position 0. The version
     * in service is left as it is.
     *
     * @return the new version; it keeps other builds of this projection out until it is
     *     {@linkplain StagedVersion#promote promoted} or {@linkplain StagedVersion#discard
     *     discarded}
     * @throws IllegalStateException if another build of this projection is under way, here or
     *     in another process (where the storage can tell)
     */
    StagedVersion stage();

    /**
     * A version of a projection being built beside the one in service. It is a projector of its
     * own (its checkpoint, its rows, the same lease as the projection's), which the runner brings
     * up to the end of the log before it promotes it; after {@link #promote} it is the
     * projection's projector in service.
     */
    interface StagedVersion extends BlueGreenProjector {

        /**
         * Makes this version the one readers see, in one atomic step (one transaction), and drops
         * the version it replaces with its rows and checkpoint. It does so only when this version
         * has applied at least as much of the log as the one in service, so that readers never go
         * back in time; otherwise it changes nothing and returns false: apply more, and try again.
         * Lets other builds in once it has switched.
         *
         * @return true when this version is now the one in service
         * @throws IllegalStateException if the version in service changed since this one was
         *     staged (another build switched first), or this one was discarded
         */
        boolean promote();

        /**
         * Drops this version (its rows and checkpoint), leaving the one in service untouched, and
         * lets other builds in. Does nothing after {@link #promote} has switched.
         */
        void discard();
    }
}
