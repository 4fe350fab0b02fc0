package io.annals.pricetracker.lambda;

import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;

/**
 * Makes a function safe to snapshot with Lambda SnapStart, which initialises a function once,
 * snapshots its memory, and starts every later container from that snapshot. A connection in
 * the snapshot would be shared by every container restored from it, and is long closed by the
 * server when a container starts: so, before the snapshot, the hook closes the container's
 * tracker and its pool, and the first invocation after a restore opens a new one.
 *
 * <p>Registered with org.crac's global context, the API that Lambda's Java runtimes call around
 * a snapshot; on a JVM without checkpoints it is never called. What else a restore shares:
 * {@link java.util.UUID#randomUUID()} (event ids) draws from {@link java.security.SecureRandom},
 * which Lambda's runtimes make safe to restore; the store's retry jitter uses
 * {@link java.util.concurrent.ThreadLocalRandom}, whose seeds restored copies may share, which
 * only makes their back-off alike.
 */
final class SnapStartHook implements Resource {

    /** Held here: org.crac's context keeps only weak references to its resources. */
    private static final SnapStartHook INSTANCE = new SnapStartHook();

    private SnapStartHook() {}

    /** Registers the hook, once per JVM (class initialisation). */
    static void register() {
        Holder.touch();
    }

    /** The registration, done by class initialisation, so once. */
    private static final class Holder {
        static {
            Core.getGlobalContext().register(INSTANCE);
        }

        static void touch() {}
    }

    /** The hook, for tests. */
    static SnapStartHook instance() {
        return INSTANCE;
    }

    /** Closes the tracker and its connections: they must not be in the snapshot. */
    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        LambdaEnvironment.forget();
    }

    /** Nothing: the first invocation opens a new tracker. */
    @Override
    public void afterRestore(Context<? extends Resource> context) {}
}
