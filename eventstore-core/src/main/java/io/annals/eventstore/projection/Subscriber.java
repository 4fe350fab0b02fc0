package io.annals.eventstore.projection;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Interest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A consumer of the global log for side effects that are not a read model: sending an email,
 * calling a service, publishing to a broker. Delivery is <b>at least once</b>: the handler gets
 * the events in log order, in batches, and the subscriber's checkpoint moves past a batch only
 * after the handler returned. A crash, a failure of the handler or a lost lease between the two
 * delivers the batch again; nothing is ever skipped.
 *
 * <pre>{@code
 * Subscriber mailer = Subscriber.of("welcome-mails", events -> events.forEach(mail::sendWelcome))
 *         .onlyTypes(Set.of("CustomerRegistered"));
 * try (ProjectionRunner runner = ProjectionRunner.builder(store)
 *         .add(store.projectors().subscriber(mailer)).build()) {
 *     runner.start();
 *     ...
 * }
 * }</pre>
 *
 * A subscriber runs on a {@link ProjectionRunner} like a projection, through the {@link Projector}
 * its store makes of it (the JDBC store's {@code projectors().subscriber(...)}), and so shares
 * its machinery: one thread, a checkpoint and a lease of its own (on PostgreSQL, processes
 * compete and one holds it), a failing batch retried with exponential back-off, {@code
 * awaitPosition}, {@code catchUp}. A {@linkplain ProjectionRunner#rebuild rebuild} delivers the
 * whole log again.
 *
 * <p><b>Idempotency.</b> Since a batch can be delivered twice, the receiving side must recognise
 * what it has seen: {@link RecordedEvent#eventId()} is unique in the store and stable across
 * deliveries, so pass it on as the idempotency key (a message id, an {@code Idempotency-Key}
 * header) and let the receiver drop an id it has already processed.
 *
 * <p><b>Filtering.</b> {@link #onlyTypes} hands the handler only the events of some types, and
 * {@link #onlyCategories} only those of the streams of some categories; the checkpoint still
 * moves to the last position read, so a subscriber whose events are rare does not read the same
 * stretch of log again.
 */
public final class Subscriber {

    private final String name;
    private final Set<String> types;
    private final Set<String> categories;
    private final Handler handler;

    private Subscriber(String name, Set<String> types, Set<String> categories, Handler handler) {
        this.name = name;
        this.types = types;
        this.categories = categories;
        this.handler = handler;
    }

    /**
     * A subscriber to every event of the log.
     *
     * @param name the key of its checkpoint and lease: keep it stable (renaming starts from 0)
     * @param handler what is done with each batch
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank or over 200 characters
     */
    public static Subscriber of(String name, Handler handler) {
        Objects.requireNonNull(name, "subscriber name");
        if (name.isBlank() || name.length() > 200) {
            throw new IllegalArgumentException("a subscriber name is 1 to 200 characters, not blank: '" + name + "'");
        }
        return new Subscriber(name, Set.of(), Set.of(), Objects.requireNonNull(handler, "handler"));
    }

    /**
     * This subscriber, handed only the events whose type is in {@code types}.
     *
     * @throws NullPointerException if {@code types} is or holds null
     * @throws IllegalArgumentException if {@code types} is empty or holds a blank type
     */
    public Subscriber onlyTypes(Set<String> types) {
        Set<String> copy = Set.copyOf(types);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("onlyTypes needs at least one event type");
        }
        for (String t : copy) {
            if (t.isBlank()) {
                throw new IllegalArgumentException("onlyTypes: an event type is not blank");
            }
        }
        return new Subscriber(name, copy, categories, handler);
    }

    /**
     * This subscriber, handed only the events of the streams of {@code categories} (the part of
     * a stream id before the first {@code '-'}), read through the store's index on them.
     *
     * @throws NullPointerException if {@code categories} is or holds null
     * @throws IllegalArgumentException if {@code categories} is empty, or a category is blank or
     *     holds {@code '-'}
     */
    public Subscriber onlyCategories(Set<String> categories) {
        Set<String> copy = new CategoryQuery(categories, Set.of()).categories();
        return new Subscriber(name, types, copy, handler);
    }

    /** The stream categories it is handed; empty for every stream. */
    public Set<String> categories() {
        return categories;
    }

    /** The subscriber's name, the key of its checkpoint and lease. */
    public String name() {
        return name;
    }

    /** The event types it is handed; empty for every type. */
    public Set<String> types() {
        return types;
    }

    /**
     * Hands a batch read from the log to the handler: the events that pass the filter, in the
     * order given; nothing when none does. For the stores' projectors.
     *
     * @throws ProjectionException if the handler threw (its exception is the cause; the message
     *     names the batch, the position is its first event's), so that the runner's error policy
     *     judges it as it judges a projection's failure
     */
    public void deliver(List<RecordedEvent> batch) {
        List<RecordedEvent> events = batch;
        if (!types.isEmpty() || !categories.isEmpty()) {
            events = new ArrayList<>();
            for (RecordedEvent e : batch) {
                if ((types.isEmpty() || types.contains(e.type())) && Interest.inCategories(categories, e.streamId())) {
                    events.add(e);
                }
            }
        }
        if (events.isEmpty()) {
            return;
        }
        try {
            handler.handle(List.copyOf(events));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure(events, e);
        } catch (Exception e) {
            throw failure(events, e);
        }
    }

    private ProjectionException failure(List<RecordedEvent> events, Exception cause) {
        RecordedEvent first = events.get(0);
        RecordedEvent last = events.get(events.size() - 1);
        return new ProjectionException(
                name,
                first,
                "subscriber " + name + " failed on a batch of " + events.size() + " events, positions "
                        + first.position() + " to " + last.position() + " (first: " + first.eventId() + ", "
                        + first.type() + ", stream " + first.streamId() + " version " + first.version()
                        + "); it is delivered again: " + cause,
                cause);
    }

    @Override
    public String toString() {
        return "Subscriber[" + name + (types.isEmpty() ? "" : ", types " + types) + "]";
    }

    /** What a subscriber does with the events. */
    @FunctionalInterface
    public interface Handler {

        /**
         * Handles a batch of events, in log order: return only once their effect is done (sent,
         * confirmed); throw to have the same batch delivered again after a back-off. A batch
         * may come again after it returned too (a crash before the checkpoint moved): use
         * {@link RecordedEvent#eventId()} as the idempotency key.
         *
         * @param events one or more events, oldest first
         * @throws Exception to fail the batch
         */
        void handle(List<RecordedEvent> events) throws Exception;
    }
}
