package io.annals.eventstore.jdbc;

import static io.annals.eventstore.tck.ProjectionRunnerContract.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.CategoryQuery;
import io.annals.eventstore.EventStore;
import io.annals.eventstore.ExpectedVersion;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.tck.EventStoreContract;
import io.annals.eventstore.tck.ProjectionRunnerContract.Deposited;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reads by category with stream ids of every shape, and under writers: a read by category must
 * return what {@code readAll} filtered by {@link CategoryQuery#matches} returns.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
abstract class CategoryEdgeContract {

    private final List<AutoCloseable> toClose = new ArrayList<>();

    /** A URL of a new, empty database. */
    protected abstract String newUrl();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    JdbcEventStore open() {
        JdbcEventStore s = JdbcEventStore.open(newUrl());
        toClose.add(s);
        return s;
    }

    static final List<String> ODD_IDS = List.of(
            "product-1",
            "product--2",
            "product-",
            "product",
            "Product-3",
            "produc-4",
            "products-5",
            "pro%-6",
            "pro_uct-7",
            "pro%",
            "o'brien-8",
            "quote\"d-9",
            "back\\slash-10",
            "é-11",
            "e\u0301-12",
            "日本-13",
            "😀-14",
            "😀😀-15",
            " -17",
            "-18",
            "--19",
            "x".repeat(180) + "-20",
            "x".repeat(180),
            "a-b-c");

    static void append(EventStore store, String stream, long amount) {
        store.append(stream, ExpectedVersion.any(), List.of(CODEC.encode(new Deposited(amount))));
    }

    static List<RecordedEvent> byCategory(EventStore store, CategoryQuery query, int page) {
        List<RecordedEvent> out = new ArrayList<>();
        long after = 0;
        while (true) {
            List<RecordedEvent> got = store.readCategories(query, after, page);
            out.addAll(got);
            if (got.size() < page) {
                return out;
            }
            after = got.get(got.size() - 1).position();
        }
    }

    static List<Long> positions(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::position).toList();
    }

    @Test
    void every_category_of_odd_stream_ids_reads_what_the_log_filtered_holds() {
        JdbcEventStore store = open();
        for (int round = 1; round <= 3; round++) {
            for (String id : ODD_IDS) {
                append(store, id, round);
            }
        }
        store.deleteStream("products-5", ExpectedVersion.any());
        List<RecordedEvent> log = EventStoreContract.readAllOf(store);
        Set<String> categories = new LinkedHashSet<>();
        for (String id : ODD_IDS) {
            String c = CategoryQuery.categoryOf(id);
            if (!c.isBlank()) {
                categories.add(c);
            }
        }
        for (String c : categories) {
            CategoryQuery q = CategoryQuery.of(c);
            List<Long> expected = positions(log.stream().filter(q::matches).toList());
            assertThat(expected).as(c).isNotEmpty();
            assertThat(positions(byCategory(store, q, 1000)))
                    .as("category '%s'", c)
                    .isEqualTo(expected);
            assertThat(positions(byCategory(store, q, 2)))
                    .as("category '%s' by pages of 2", c)
                    .isEqualTo(expected);
        }
        // several at once, and with types: the deleted stream's tombstone is in its category
        CategoryQuery many = new CategoryQuery(categories, Set.of(EventStore.STREAM_DELETED));
        assertThat(positions(byCategory(store, many, 3)))
                .isEqualTo(positions(log.stream().filter(many::matches).toList()))
                .hasSize(1);
        CategoryQuery all = new CategoryQuery(categories, Set.of());
        assertThat(positions(byCategory(store, all, 4)))
                .isEqualTo(positions(log.stream().filter(all::matches).toList()));
    }

    @Test
    void a_truncated_stream_reads_by_category_what_is_left_of_it() {
        JdbcEventStore store = open();
        for (int i = 1; i <= 6; i++) {
            append(store, "cart-1", i);
            append(store, "other-1", i);
        }
        RecordedEvent third = EventStoreContract.readAllOf(store).stream()
                .filter(e -> e.streamId().equals("cart-1") && e.version() == 3)
                .findFirst()
                .orElseThrow();
        assertThat(store.truncateStream(
                        "cart-1",
                        4,
                        new io.annals.eventstore.snapshot.Snapshot(
                                "cart-1", 3, third.eventId(), 1, "{}", java.time.Instant.now())))
                .isEqualTo(3);
        CategoryQuery q = CategoryQuery.of("cart");
        assertThat(positions(byCategory(store, q, 2)))
                .isEqualTo(positions(EventStoreContract.readAllOf(store).stream()
                        .filter(q::matches)
                        .toList()));
    }

    @Test
    @Timeout(120)
    void a_reader_paging_by_category_under_writers_misses_nothing() throws Exception {
        JdbcEventStore store = open();
        AtomicBoolean stop = new AtomicBoolean();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; !stop.get() && i < 400; i++) {
                    append(store, (i % 3 == 0 ? "hot-" : "cold-") + writer + "-" + (i % 5), i);
                }
            }));
        }
        CategoryQuery q = CategoryQuery.of("hot");
        List<RecordedEvent> seen = new ArrayList<>();
        long after = 0;
        while (!writers.stream().allMatch(CompletableFuture::isDone)) {
            List<RecordedEvent> got = store.readCategories(q, after, 5);
            seen.addAll(got);
            if (!got.isEmpty()) {
                after = got.get(got.size() - 1).position();
            }
        }
        for (CompletableFuture<Void> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        seen.addAll(byCategory(store, q, 1000).stream()
                .filter(e -> e.position()
                        > seen.stream().mapToLong(RecordedEvent::position).max().orElse(0))
                .toList());
        assertThat(positions(seen))
                .as("a reader that moves past what it read sees every event of the category once")
                .isEqualTo(positions(EventStoreContract.readAllOf(store).stream()
                        .filter(q::matches)
                        .toList()));
    }
}
