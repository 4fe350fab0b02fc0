package io.annals.pricetracker;

import io.annals.eventstore.AggregateState;
import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.CommandResult;
import io.annals.eventstore.Envelope;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductEvent;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The price tracker on the command line.
 *
 * <pre>
 * java -jar pricetracker.jar [demo | history PRODUCT_ID] [--db JDBC_URL]
 * </pre>
 * {@code demo} (the default) runs a short scenario against the store and prints what happened;
 * {@code history} prints a product's events. The store is the SQLite file
 * {@code pricetracker.db} in the working directory unless {@code --db} names another JDBC URL.
 */
public final class Main {

    static final String DEFAULT_DB = "jdbc:sqlite:pricetracker.db";
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private Main() {
    }

    /** Entry point; exits with 2 on a usage error, 1 on a failure. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String db = DEFAULT_DB;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--db")) {
                if (i + 1 == args.length) {
                    return usage(err, "--db needs a JDBC URL");
                }
                db = args[++i];
            } else if (args[i].equals("--help") || args[i].equals("-h")) {
                usage(out, null);
                return 0;
            } else {
                words.add(args[i]);
            }
        }
        String command = words.isEmpty() ? "demo" : words.get(0);
        if (!command.equals("demo") && !command.equals("history")) {
            return usage(err, "unknown command '" + command + "'");
        }
        if (command.equals("history") && words.size() != 2) {
            return usage(err, "history needs one product id");
        }
        try (PriceTracker tracker = PriceTracker.open(db)) {
            if (command.equals("demo")) {
                demo(tracker, db, out);
            } else {
                printHistory(tracker, words.get(1), out);
            }
            return 0;
        } catch (RuntimeException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
    }

    private static int usage(PrintStream stream, String problem) {
        if (problem != null) {
            stream.println("error: " + problem);
        }
        stream.println("usage: java -jar pricetracker.jar [demo | history PRODUCT_ID] [--db JDBC_URL]");
        stream.println("  demo     run a short price-tracking scenario and print what happened (default)");
        stream.println("  history  print every event of a product");
        stream.println("  --db     the store (default " + DEFAULT_DB + ")");
        return problem == null ? 0 : 2;
    }

    /** A scenario that shows the rules and the history; each run continues the previous one. */
    static void demo(PriceTracker tracker, String db, PrintStream out) {
        out.println("Annals price tracker on " + db);
        String tea = "green-tea";
        AggregateState<Product> before = tracker.product(tea);
        if (!before.state().exists()) {
            report(out, "create green-tea at 3.50",
                    () -> tracker.handle(new CreateProduct(tea, "Green tea", new BigDecimal("3.50"))));
        } else {
            out.printf("green-tea exists already (version %d, price %s): carrying on%n",
                    before.version(), before.state().price().toPlainString());
        }
        report(out, "change green-tea by +0.25",
                () -> tracker.handle(new UpdateProduct(tea, new BigDecimal("0.25"))));
        report(out, "change green-tea by -0.40",
                () -> tracker.handle(new UpdateProduct(tea, new BigDecimal("-0.40"))));
        report(out, "change green-tea by -100.00",
                () -> tracker.handle(new UpdateProduct(tea, new BigDecimal("-100.00"))));
        report(out, "create green-tea again",
                () -> tracker.handle(new CreateProduct(tea, "Another tea", BigDecimal.ONE)));

        String mug = "mug-" + (tracker.product(tea).version());
        report(out, "create " + mug + " at 12.00",
                () -> tracker.handle(new CreateProduct(mug, "Mug", new BigDecimal("12.00"))));
        report(out, "delete " + mug, () -> tracker.handle(new DeleteProduct(mug)));
        report(out, "change " + mug + " by +1.00",
                () -> tracker.handle(new UpdateProduct(mug, BigDecimal.ONE)));
        out.println();
        printHistory(tracker, tea, out);
        out.println();
        out.println("Run it again: the history goes on. java -jar pricetracker.jar history green-tea");
    }

    private interface Step {
        CommandResult<Product, ProductEvent> run();
    }

    private static void report(PrintStream out, String what, Step step) {
        try {
            CommandResult<Product, ProductEvent> r = step.run();
            Product p = r.state();
            out.printf("%-30s ok: %s, now %s (version %d, position %d)%n", what,
                    r.events().isEmpty() ? "nothing to do" : describe(r.events().get(0)),
                    p.active() ? "price " + p.price().toPlainString() : "deleted",
                    r.version(), r.position());
        } catch (CommandRejectedException e) {
            out.printf("%-30s rejected (%s): %s%n", what, e.code(), e.getMessage());
        }
    }

    static void printHistory(PriceTracker tracker, String productId, PrintStream out) {
        List<Envelope<ProductEvent>> history = tracker.history(productId);
        if (history.isEmpty()) {
            out.println("no product " + productId);
            return;
        }
        out.println("History of " + productId + ":");
        for (Envelope<ProductEvent> e : history) {
            out.printf("  %s  v%-4d %s%n", TIME.format(e.recorded().recordedAt()),
                    e.recorded().version(), describe(e.event()));
        }
    }

    static String describe(ProductEvent e) {
        if (e instanceof ProductEvent.ProductCreated c) {
            return "created \"" + c.name() + "\" at " + c.price().toPlainString();
        }
        if (e instanceof ProductEvent.PriceChanged c) {
            return "price " + c.oldPrice().toPlainString() + " -> " + c.newPrice().toPlainString()
                    + " (" + (c.variation().signum() >= 0 ? "+" : "") + c.variation().toPlainString() + ")";
        }
        return "deleted";
    }
}
