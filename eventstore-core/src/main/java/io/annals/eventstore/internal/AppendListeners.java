package io.annals.eventstore.internal;

import io.annals.eventstore.EventStore;
import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The listeners of a store's {@link EventStore#onAppend}: told after each append commits. A
 * listener that throws is logged and does not stop the others, nor fail the append, which is
 * stored already.
 */
public final class AppendListeners {

    private static final System.Logger LOG = System.getLogger(AppendListeners.class.getName());

    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Adds {@code listener} until the returned handle is closed. */
    public EventStore.Listening add(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        Runnable own = listener::run; // a wrapper of its own, so that the same listener twice closes once each
        listeners.add(own);
        return () -> listeners.remove(own);
    }

    /** Tells every listener that an append committed. */
    public void fire() {
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable e) { // an Error too: the append is stored, and the others must hear
                LOG.log(Level.WARNING, () -> "a listener of appends failed: " + e, e);
            }
        }
    }
}
