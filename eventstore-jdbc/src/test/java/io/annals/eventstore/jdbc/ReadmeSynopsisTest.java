package io.annals.eventstore.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.command.CommandHandler;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Event;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The synopsis in README.md is this file's code between the README markers, so it cannot rot:
 * the first test runs it, the second checks that the README shows it unchanged.
 */
class ReadmeSynopsisTest {

    // README:begin
    // The domain: pure functions, no framework.
    record AddItem(String cartId, String item, BigDecimal price) implements Command {
        public String aggregateId() { return cartId; }
    }
    sealed interface CartEvent extends Event permits ItemAdded { }
    record ItemAdded(String item, BigDecimal price) implements CartEvent { }
    record Cart(List<String> items, BigDecimal total) { }

    static class Carts implements Aggregate<Cart, AddItem, CartEvent> {
        public String category() { return "cart"; }
        public Cart initialState() { return new Cart(List.of(), BigDecimal.ZERO); }
        public List<CartEvent> decide(Cart cart, AddItem c) {
            if (cart.items().size() == 3) throw new CommandRejectedException("full", "3 items at most");
            return List.of(new ItemAdded(c.item(), c.price()));
        }
        public Cart evolve(Cart cart, CartEvent e) {
            ItemAdded added = (ItemAdded) e;
            List<String> items = new ArrayList<>(cart.items());
            items.add(added.item());
            return new Cart(items, cart.total().add(added.price()));
        }
    }

    static void synopsis() {
        // A store in one SQLite file, a codec with an explicit type registry, the command loop.
        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:shop.db")) {
            var codec = JacksonEventCodec.builder(CartEvent.class)
                    .register("ItemAdded", ItemAdded.class).build();
            var carts = CommandHandler.builder(new Carts(), store, codec).build();

            carts.handle(new AddItem("c-1", "tea", new BigDecimal("3.50")));
            carts.handle(new AddItem("c-1", "cup", new BigDecimal("7.25")));

            System.out.println(carts.load("c-1"));   // state and version, folded from the events
            store.readStream("cart-c-1", 1, 100)
                    .forEach(e -> System.out.println(e.version() + " " + e.type() + " " + e.json()));
        }
    }
    // README:end

    @AfterEach
    void removeDatabase() throws IOException {
        for (String suffix : List.of("", "-wal", "-shm")) {
            Files.deleteIfExists(Path.of("shop.db" + suffix));
        }
    }

    @Test
    void the_synopsis_runs_and_prints_the_cart_and_its_events() throws IOException {
        removeDatabase();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            synopsis();
        } finally {
            System.setOut(original);
        }

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("""
                AggregateState[streamId=cart-c-1, state=Cart[items=[tea, cup], total=10.75], version=2]
                1 ItemAdded {"item":"tea","price":3.50}
                2 ItemAdded {"item":"cup","price":7.25}
                """);
    }

    @Test
    void the_readme_shows_the_synopsis_as_it_is_here() throws IOException {
        String source = Files.readString(
                Path.of("src/test/java/io/annals/eventstore/jdbc/ReadmeSynopsisTest.java"));
        String code = source.substring(source.indexOf("// README:begin\n") + 16,
                source.indexOf("    // README:end"));
        String unindented = code.lines().map(l -> l.length() >= 4 ? l.substring(4) : l.strip())
                .reduce("", (a, b) -> a + b + "\n");
        String readme = Files.readString(Path.of("../README.md"));

        assertThat(readme).contains("```java\n" + unindented + "```\n");
    }
}
