package io.annals.pricetracker.alerts;

import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.Query;
import io.annals.eventstore.QueryItem;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.StreamDeletedException;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.jdbc.JacksonEventCodec;
import io.annals.eventstore.jdbc.JacksonStateCodec;
import io.annals.eventstore.jdbc.JdbcEventStore;
import io.annals.eventstore.jdbc.SqlProjection;
import io.annals.eventstore.privacy.Sealed;
import io.annals.eventstore.privacy.Vault;
import io.annals.eventstore.snapshot.SnapshotPolicy;
import io.annals.eventstore.snapshot.SnapshotSettings;
import io.annals.pricetracker.alerts.WatchCommand.StartWatching;
import io.annals.pricetracker.alerts.WatchCommand.StopWatching;
import io.annals.pricetracker.alerts.WatchEvent.AlertRecorded;
import io.annals.pricetracker.alerts.WatchEvent.WatchStarted;
import io.annals.pricetracker.alerts.WatchEvent.WatchStopped;
import io.annals.pricetracker.domain.ProductEvent;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.text.Normalizer;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Price alerts: people watch a product's price with their email address and a target, and an
 * alert is recorded once when a price change takes the price to the target or below.
 *
 * <p>The email address is personal data: it is normalised (trimmed, lower case), turned into a
 * subject by the vault's keyed hash (stored in clear, revealing nothing), and stored only {@link
 * Sealed sealed} under that subject's key, in the watch's events, its snapshots and the alerts'
 * rows. {@link #forget} stops the person's watches and deletes their key: every copy of their
 * address then reads as forgotten, and rebuilding the read models brings none of it back.
 *
 * <p>Writes: a watch is an aggregate ({@link WatchAggregate}, stream {@code
 * watch-<productId>/<subject>}, a snapshot every 2 events); alerts are recorded by the process
 * manager {@link AlertTrigger}. Reads: {@link AlertsView}.
 */
public final class PriceAlerts {

    /** The stored type names of the watch events, and their tags. */
    public static final EventCodec<WatchEvent> CODEC = JacksonEventCodec.builder(WatchEvent.class)
            .register("WatchStarted", WatchStarted.class)
            .register("AlertRecorded", AlertRecorded.class)
            .register("WatchStopped", WatchStopped.class)
            .tags(WatchStarted.class, WatchTags::of)
            .tags(AlertRecorded.class, WatchTags::of)
            .tags(WatchStopped.class, WatchTags::of)
            .build();

    /**
     * What the process manager reads: the watch events, and the product events it reacts to (with
     * the same names, versions and upcaster as the product codec).
     */
    static final EventCodec<Event> TRIGGER_CODEC = JacksonEventCodec.builder(Event.class)
            .register("WatchStarted", WatchStarted.class)
            .register("AlertRecorded", AlertRecorded.class)
            .register("WatchStopped", WatchStopped.class)
            .register("PriceChanged", ProductEvent.PriceChanged.class, 2)
            .register("ProductDeleted", ProductEvent.ProductDeleted.class)
            .upcast("PriceChanged", 1, v1 -> v1.put("currency", "EUR"))
            .build();

    /** Rejection code: a watch's target price is not a positive amount. */
    public static final String TARGET_NOT_POSITIVE = "target_not_positive";

    /** The longest email address accepted (RFC 5321's path limit). */
    public static final int MAX_EMAIL_LENGTH = 254;

    /**
     * name@domain.tld, without white space, control characters, a slash or a backslash: the
     * address goes into the path of {@code DELETE /watchers/{email}}, where a slash would split it.
     */
    private static final Pattern EMAIL =
            Pattern.compile("[^@\\s\\p{Cntrl}/\\\\]{1,64}@[^@\\s\\p{Cntrl}/\\\\]+\\.[^@\\s\\p{Cntrl}/\\\\.]+");

    private static final int PAGE = 500;

    private final JdbcEventStore store;
    private final Vault vault;
    private final WatchAggregate aggregate = new WatchAggregate();
    private final CommandHandler<Watch, WatchCommand, WatchEvent> watches;

    /**
     * Price alerts on {@code store}, sealing with {@code vault} (which needs a subject secret).
     *
     * @throws EventStoreException if the read-model tables cannot be created
     */
    public PriceAlerts(JdbcEventStore store, Vault vault) {
        this.store = Objects.requireNonNull(store, "store");
        this.vault = Objects.requireNonNull(vault, "vault");
        this.watches = CommandHandler.builder(aggregate, store, CODEC)
                .eventIdsFromCommandId(true) // the trigger's reactions, handled again, are recognised
                .maxAttempts(20)
                .snapshots(new SnapshotSettings<>(
                        store.snapshots(), JacksonStateCodec.of(Watch.class), 1, SnapshotPolicy.everyEvents(2)))
                .build();
        try {
            AlertsView.createTable(store.dataSource());
            AlertTrigger.createTables(store.dataSource());
        } catch (SQLException e) {
            throw new EventStoreException("cannot create the alerts' tables: " + e.getMessage(), e);
        }
    }

    /** The process manager that records alerts; run it with the other projections. */
    public SqlProjection<Event> trigger() {
        return new AlertTrigger(watches);
    }

    /** The codec the {@link #trigger()} reads with. */
    public EventCodec<Event> triggerCodec() {
        return TRIGGER_CODEC;
    }

    /** The read model of the alerts; run it with the other projections. */
    public SqlProjection<WatchEvent> view() {
        return new AlertsView();
    }

    /**
     * An email address as it is sealed and hashed: trimmed, lower case.
     *
     * @throws IllegalArgumentException if it is not an email address (the message does not repeat
     *     it: it is personal data)
     */
    public static String normaliseEmail(String email) {
        Objects.requireNonNull(email, "email");
        // one address, one subject: "é" typed composed or decomposed is the same person
        String e = Normalizer.normalize(email.strip(), Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
        if (e.length() > MAX_EMAIL_LENGTH) {
            throw new IllegalArgumentException("an email address has at most " + MAX_EMAIL_LENGTH + " characters");
        }
        if (!EMAIL.matcher(e).matches()) {
            throw new IllegalArgumentException(
                    "not an email address: expected name@domain.tld, without spaces, slashes or backslashes");
        }
        return e;
    }

    /**
     * Starts watching, or watches again with a new target: the watch is armed until an alert is
     * recorded for it. The caller checks that the product exists.
     *
     * @throws IllegalArgumentException if the email address is invalid or the target is not
     *     positive; nothing is written
     */
    public CommandResult<Watch, WatchEvent> watch(String productId, String email, BigDecimal target, String currency) {
        String normalised = normaliseEmail(email);
        String subject = vault.subjectFor(normalised);
        Sealed sealed = vault.seal(subject, normalised);
        return watches.handle(new StartWatching(productId, subject, sealed, target, currency));
    }

    /**
     * Takes back a watch that was started while its product was being deleted or erased: a new
     * watch stream is deleted, an older one (with alerts of earlier starts) is stopped.
     */
    public void withdraw(String productId, String email, CommandResult<Watch, WatchEvent> started) {
        String subject = vault.subjectFor(normaliseEmail(email));
        try {
            if (started.version() == 1) {
                store.deleteStream(started.streamId(), ExpectedVersion.any());
            } else {
                watches.handle(new StopWatching(productId, subject));
            }
        } catch (StreamDeletedException e) {
            // erased with its product meanwhile
        }
    }

    /** The alerts of a product, oldest first, their email addresses still sealed. */
    public List<AlertsView.Alert> alerts(String productId) {
        try {
            return AlertsView.of(store.dataSource(), productId);
        } catch (SQLException e) {
            throw new EventStoreException("cannot read the alerts of " + productId + ": " + e.getMessage(), e);
        }
    }

    /**
     * The email address of a sealed value, or empty once its person was forgotten.
     *
     * @throws io.annals.eventstore.privacy.PersonalDataException if it cannot be opened for another
     *     reason (a lost or wrong key, an altered value): never wrong data
     */
    public Optional<String> reveal(Sealed email) {
        return vault.reveal(email);
    }

    /**
     * Forgets a person: stops each of their watches that is armed, then deletes their key, so
     * that every copy of their email address (events, snapshots, read-model rows, backups) reads as
     * forgotten. Running it again does no harm.
     *
     * @return how many watches the person had (0 if the address never watched anything: nothing
     *     is then written), and the position of the last watch it stopped (0 if none was armed)
     * @throws IllegalArgumentException if it is not an email address
     */
    public Forgetting forget(String email) {
        String subject = vault.subjectFor(normaliseEmail(email));
        Set<String> streams = streamsTagged(WatchTags.watcher(subject));
        long position = 0;
        for (String streamId : streams) {
            String productId = streamId.substring(WatchAggregate.CATEGORY.length() + 1, streamId.lastIndexOf('/'));
            try {
                position = Math.max(
                        position,
                        watches.handle(new StopWatching(productId, subject)).position());
            } catch (StreamDeletedException e) {
                // the product was erased with its watches
            }
        }
        if (!streams.isEmpty()) {
            vault.forget(subject);
        }
        return new Forgetting(streams.size(), position);
    }

    /**
     * What forgetting a person did.
     *
     * @param watches how many watches the person had
     * @param position the position of the last watch stopped, 0 if none was armed
     */
    public record Forgetting(int watches, long position) {}

    /**
     * Deletes the streams of every watch of a product, for good (the product's erasure).
     *
     * @return how many watch streams were deleted
     */
    public int eraseWatches(String productId) {
        Set<String> streams = streamsTagged(WatchTags.product(productId));
        for (String streamId : streams) {
            store.deleteStream(streamId, ExpectedVersion.any());
        }
        return streams.size();
    }

    /** The streams of the watches started with {@code tag}, oldest first. */
    private Set<String> streamsTagged(String tag) {
        Query started = Query.of(QueryItem.of(Set.of("WatchStarted"), Set.of(tag)));
        Set<String> streams = new LinkedHashSet<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> page = store.read(started, after, PAGE);
            for (RecordedEvent r : page) {
                streams.add(r.streamId());
            }
            if (page.size() < PAGE) {
                return streams;
            }
            after = page.get(page.size() - 1).position();
        }
    }
}
