package io.annals.pricetracker;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.Envelope;
import io.annals.eventstore.command.AggregateState;
import io.annals.eventstore.command.CommandResult;
import io.annals.eventstore.jdbc.TagBackfill;
import io.annals.eventstore.projection.CheckpointConflictException;
import io.annals.eventstore.projection.DeadLetter;
import io.annals.eventstore.projection.ProjectionException;
import io.annals.eventstore.projection.ProjectionRunner;
import io.annals.eventstore.projection.RebuildProgress;
import io.annals.pricetracker.api.HttpApiServer;
import io.annals.pricetracker.api.PriceTrackerApi;
import io.annals.pricetracker.domain.Product;
import io.annals.pricetracker.domain.ProductCommand.CreateProduct;
import io.annals.pricetracker.domain.ProductCommand.DeleteProduct;
import io.annals.pricetracker.domain.ProductCommand.UpdateProduct;
import io.annals.pricetracker.domain.ProductEvent;
import io.annals.pricetracker.readmodel.ProductView;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The price tracker on the command line.
 *
 * <pre>
 * java -jar pricetracker.jar [serve] [--port N] [--db JDBC_URL]
 * java -jar pricetracker.jar demo | history PRODUCT_ID | rebuild PROJECTION [--blue-green]  [--db JDBC_URL]
 * java -jar pricetracker.jar dead-letters PROJECTION [list | retry | skip POSITION]  [--db JDBC_URL]
 * </pre>
 * {@code serve} (the default) starts the HTTP API and the page on localhost:8080;
 * {@code demo} runs a short scenario and prints what happened; {@code history} prints a product's
 * events; {@code rebuild} replays the whole log into a projection with a progress bar (with
 * {@code --blue-green}, into a new version beside the one in service, which readers see until the
 * switch);
 * {@code dead-letters} lists, retries or skips the events a projection parked. The store
 * is the SQLite file {@code pricetracker.db} in the working directory unless {@code --db} names
 * another JDBC URL (such as {@code jdbc:postgresql://localhost/db?user=u}).
 */
public final class Main {

    static final String DEFAULT_DB = "jdbc:sqlite:pricetracker.db";
    static final int DEFAULT_PORT = 8080;
    private static final List<String> COMMANDS =
            List.of("serve", "demo", "history", "rebuild", "dead-letters", "tag-events");
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private Main() {}

    /** Entry point; exits with 2 on a usage error, 1 on a failure; {@code serve} runs until killed. */
    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status >= 0) {
            System.exit(status);
        }
    }

    /** Runs a command; returns the exit status, or -1 when a server was started and keeps running. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        return run(args, System.getenv(), out, err);
    }

    /** {@link #run(String[], PrintStream, PrintStream)} in the environment {@code env}. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        String db = DEFAULT_DB;
        int port = DEFAULT_PORT;
        boolean blueGreen = false;
        List<String> words = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--db" -> {
                    if (i + 1 == args.length) {
                        return usage(err, "--db needs a JDBC URL");
                    }
                    db = args[++i];
                }
                case "--port" -> {
                    if (i + 1 == args.length
                            || !args[i + 1].matches("\\d{1,5}")
                            || Integer.parseInt(args[i + 1]) > 65535) {
                        return usage(err, "--port needs a port number (0 to 65535)");
                    }
                    port = Integer.parseInt(args[++i]);
                }
                case "--blue-green" -> blueGreen = true;
                case "--help", "-h" -> {
                    usage(out, null);
                    return 0;
                }
                default -> words.add(args[i]);
            }
        }
        if (words.isEmpty()) {
            words.add("serve");
        }
        String command = words.get(0);
        if (!COMMANDS.contains(command)) {
            return usage(err, "unknown command '" + command + "'");
        }
        int arguments = command.equals("history") || command.equals("rebuild") ? 1 : 0;
        if (command.equals("dead-letters")) {
            if (!deadLetterArguments(words.subList(1, words.size()))) {
                return usage(err, "dead-letters needs PROJECTION [list | retry | skip POSITION]");
            }
        } else if (words.size() != arguments + 1) {
            return usage(err, command + (arguments == 1 ? " needs one argument" : " takes no argument"));
        }
        if (blueGreen && !command.equals("rebuild")) {
            return usage(err, "--blue-green goes with rebuild");
        }
        PriceTracker tracker;
        try {
            tracker = PriceTracker.open(db, env);
        } catch (RuntimeException e) {
            err.println("error: " + e.getMessage());
            return 1;
        }
        if (command.equals("serve")) {
            return serve(tracker, db, port, out, err);
        }
        try (tracker) {
            switch (command) {
                case "demo" -> demo(tracker, db, out);
                case "tag-events" -> {
                    TagBackfill.Result result = tracker.tagStoredEvents();
                    out.println("tagged " + result.tagged() + " of " + result.scanned() + " events");
                }
                case "history" -> {
                    if (!printHistory(tracker, words.get(1), out)) {
                        return 1;
                    }
                }
                case "dead-letters" -> {
                    return deadLetters(tracker, words.subList(1, words.size()), out, err);
                }
                default -> {
                    return blueGreen
                            ? rebuildBlueGreen(tracker, words.get(1), out, err)
                            : rebuild(tracker, words.get(1), out, err);
                }
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
        stream.println("usage: java -jar pricetracker.jar [serve | demo | history PRODUCT_ID"
                + " | rebuild PROJECTION [--blue-green] | tag-events]");
        stream.println("                                  [--port N] [--db JDBC_URL]");
        stream.println("  serve    the HTTP API and the page on localhost (default; port " + DEFAULT_PORT + ")");
        stream.println("  demo     run a short price-tracking scenario and print what happened");
        stream.println("  history  print every event of a product");
        stream.println("  rebuild  replay the whole log into a projection: " + String.join(", ", PROJECTIONS));
        stream.println("           --blue-green: into a new version beside the one in service, then switch" + " ("
                + ProductView.Projector.NAME + ")");
        stream.println("  dead-letters PROJECTION [list | retry | skip POSITION]");
        stream.println("           list (default), retry or skip the events a projection parked");
        stream.println("  tag-events  tag the events stored before they had tags (once, after an upgrade)");
        stream.println("  --db     the store (default " + DEFAULT_DB + ")");
        stream.println("  environment: PRODUCT_VIEW_SEGMENTS=N splits the product view in N segments,"
                + " PRODUCT_VIEW_OWN=0,1 the segments this instance runs first;");
        stream.println("               PROJECTIONS=" + PROJECTIONS.get(0) + "," + PROJECTIONS.get(1)
                + " the projections this instance runs (default: all)");
        return problem == null ? 0 : 2;
    }

    static final List<String> PROJECTIONS = PriceTracker.PROJECTIONS;

    /** Whether {@code projection} is one of the tracker's; says so on {@code err} if not. */
    private static boolean known(String projection, PrintStream err) {
        if (PROJECTIONS.contains(projection)) {
            return true;
        }
        err.println("error: no projection '" + projection + "' (known: " + String.join(", ", PROJECTIONS) + ")");
        return false;
    }

    /** Whether this instance runs {@code projection}; says so on {@code err} if not. */
    private static boolean runHere(PriceTracker tracker, String projection, PrintStream err) {
        if (tracker.runs(projection)) {
            return true;
        }
        err.println("error: projection '" + projection + "' is not one of those PROJECTIONS lets this instance run;"
                + " run the command with PROJECTIONS unset, or listing it");
        return false;
    }

    private static int serve(PriceTracker tracker, String db, int port, PrintStream out, PrintStream err) {
        HttpApiServer server;
        try {
            tracker.startProjections();
            server = HttpApiServer.start(new PriceTrackerApi(tracker, Duration.ofSeconds(5)), "127.0.0.1", port);
        } catch (IOException | RuntimeException e) {
            err.println("error: cannot serve on port " + port + ": " + e.getMessage());
            tracker.close();
            return 1;
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            server.close();
                            tracker.close();
                        },
                        "pricetracker-shutdown"));
        out.println("Annals price tracker on " + tracker.store());
        out.println("Serving http://localhost:" + server.port() + "/  (Ctrl-C to stop)");
        List<String> elsewhere =
                PROJECTIONS.stream().filter(p -> !tracker.runs(p)).toList();
        if (!elsewhere.isEmpty()) {
            out.println("  projections run here: "
                    + String.join(
                            ", ", PROJECTIONS.stream().filter(tracker::runs).toList())
                    + "; left to another instance: " + String.join(", ", elsewhere));
        }
        out.println("  curl -X POST localhost:" + server.port()
                + "/products -d '{\"productId\":\"tea\",\"name\":\"Green tea\",\"price\":3.50}'");
        return -1;
    }

    private static int rebuild(PriceTracker tracker, String projection, PrintStream out, PrintStream err) {
        if (!known(projection, err) || !runHere(tracker, projection, err)) {
            return 2;
        }
        RebuildProgress end;
        try {
            end = tracker.projections().rebuild(tracker.runnerName(projection), progressBar(projection, out));
        } catch (IllegalStateException e) {
            // another runner (a server on this database) holds the projection: nothing was reset
            err.println("error: " + e.getMessage());
            return 3;
        } catch (CheckpointConflictException e) {
            // The read model was reset, then another runner of the projection (a server on the
            // same SQLite file, whose leases do not reach this process) went on applying it from
            // the start: the rebuild is happening, there.
            out.println();
            out.printf("reset %s; another runner on this database is replaying it%n", projection);
            return 0;
        }
        out.println();
        out.printf("rebuilt %s from %d events%n", projection, end.done());
        return 0;
    }

    /** Draws the progress of a rebuild on one line. */
    private static Consumer<RebuildProgress> progressBar(String projection, PrintStream out) {
        return p -> {
            if (p.finished()) {
                return; // the last batch drew the bar already
            }
            int width = 30;
            int filled = (int) Math.round(p.fraction() * width);
            out.printf(
                    "\r%s [%s%s] %3.0f%%  %d/%d events  %.0f events/s",
                    projection,
                    "#".repeat(filled),
                    " ".repeat(width - filled),
                    100 * p.fraction(),
                    p.done(),
                    p.total(),
                    p.eventsPerSecond());
            out.flush();
        };
    }

    /**
     * Builds a new version of a projection beside the one in service and switches to it; a
     * server on the same database keeps serving the old version until the switch. 2 for a
     * projection that cannot be rebuilt so, 3 when another build of it is under way.
     */
    private static int rebuildBlueGreen(PriceTracker tracker, String projection, PrintStream out, PrintStream err) {
        if (!known(projection, err) || !runHere(tracker, projection, err)) {
            return 2;
        }
        RebuildProgress end;
        try {
            end = tracker.projections().rebuildBlueGreen(tracker.runnerName(projection), progressBar(projection, out));
        } catch (IllegalArgumentException e) {
            err.println("error: projection " + projection + " cannot be rebuilt blue-green (only the keyed read"
                    + " models can: the others write tables of their own or react to events); rebuild it in place"
                    + " with: rebuild " + projection);
            return 2;
        } catch (IllegalStateException e) {
            out.println();
            err.println("error: " + e.getMessage() + "; the version in service is unchanged");
            return 3;
        } catch (ProjectionException e) {
            out.println();
            err.println("error: " + e.getMessage() + "; the version in service is unchanged");
            return 1;
        }
        out.println();
        out.printf("built a new version of %s from %d events and switched to it%n", projection, end.done());
        return 0;
    }

    private static boolean deadLetterArguments(List<String> args) {
        return switch (args.size()) {
            case 1 -> true;
            case 2 -> args.get(1).equals("list") || args.get(1).equals("retry");
            case 3 -> args.get(1).equals("skip") && args.get(2).matches("\\d{1,18}");
            default -> false;
        };
    }

    /** Lists, retries or skips the dead letters of a projection; 2 for an unknown projection. */
    private static int deadLetters(PriceTracker tracker, List<String> args, PrintStream out, PrintStream err) {
        String projection = args.get(0);
        if (!known(projection, err) || !runHere(tracker, projection, err)) {
            return 2;
        }
        String action = args.size() == 1 ? "list" : args.get(1);
        ProjectionRunner runner = tracker.projections();
        List<String> names = tracker.runnerNames(projection); // a split view: every segment's
        try {
            switch (action) {
                case "retry" -> {
                    int before = 0;
                    List<DeadLetter> left = new ArrayList<>();
                    for (String name : names) {
                        before += runner.deadLetters(name).size();
                        left.addAll(runner.retryDeadLetters(name));
                    }
                    left.sort(Comparator.comparingLong(DeadLetter::position));
                    out.printf("retried %s: %d applied, %d left%n", projection, before - left.size(), left.size());
                    printDeadLetters(left, out);
                }
                case "skip" -> {
                    long position = Long.parseLong(args.get(2));
                    boolean skipped = false;
                    for (String name : names) {
                        skipped |= runner.skipDeadLetter(name, position);
                    }
                    if (!skipped) {
                        err.println("error: " + projection + " has no dead letter at position " + position);
                        return 1;
                    }
                    out.printf("skipped the event at position %d of %s%n", position, projection);
                }
                default -> {
                    List<DeadLetter> letters = new ArrayList<>();
                    for (String name : names) {
                        letters.addAll(runner.deadLetters(name));
                    }
                    letters.sort(Comparator.comparingLong(DeadLetter::position));
                    out.printf("%s: %d dead letters%n", projection, letters.size());
                    printDeadLetters(letters, out);
                }
            }
        } catch (IllegalStateException e) {
            // another runner (a server on this database) holds the projection: retry it there
            err.println("error: " + e.getMessage());
            return 3;
        }
        return 0;
    }

    private static void printDeadLetters(List<DeadLetter> letters, PrintStream out) {
        for (DeadLetter d : letters) {
            out.printf(
                    "  %d  %s  %s  %s  %s  %s%n",
                    d.position(), TIME.format(d.parkedAt()), d.streamId(), d.type(), d.eventId(), d.error());
        }
    }

    /** A scenario that shows the rules and the history; each run continues the previous one. */
    static void demo(PriceTracker tracker, String db, PrintStream out) {
        out.println("Annals price tracker on " + tracker.store());
        String tea = "green-tea";
        AggregateState<Product> before = tracker.product(tea);
        if (!before.state().exists()) {
            report(
                    out,
                    "create green-tea at 3.50",
                    () -> tracker.handle(new CreateProduct(tea, "Green tea", new BigDecimal("3.50"))));
        } else {
            out.printf(
                    "green-tea exists already (version %d, price %s): carrying on%n",
                    before.version(), before.state().price().toPlainString());
        }
        report(out, "change green-tea by +0.25", () -> tracker.handle(new UpdateProduct(tea, new BigDecimal("0.25"))));
        report(out, "change green-tea by -0.40", () -> tracker.handle(new UpdateProduct(tea, new BigDecimal("-0.40"))));
        report(
                out,
                "change green-tea by -100.00",
                () -> tracker.handle(new UpdateProduct(tea, new BigDecimal("-100.00"))));
        report(
                out,
                "create green-tea again",
                () -> tracker.handle(new CreateProduct(tea, "Another tea", BigDecimal.ONE)));

        String mug = "mug-" + (tracker.product(tea).version());
        report(
                out,
                "create " + mug + " at 12.00",
                () -> tracker.handle(new CreateProduct(mug, "Mug", new BigDecimal("12.00"))));
        report(out, "delete " + mug, () -> tracker.handle(new DeleteProduct(mug)));
        report(out, "change " + mug + " by +1.00", () -> tracker.handle(new UpdateProduct(mug, BigDecimal.ONE)));
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
            out.printf(
                    "%-30s ok: %s, now %s (version %d, position %d)%n",
                    what,
                    r.events().isEmpty() ? "nothing to do" : describe(r.events().get(0)),
                    p.active() ? "price " + p.price().toPlainString() : "deleted",
                    r.version(),
                    r.position());
        } catch (CommandRejectedException e) {
            out.printf("%-30s rejected (%s): %s%n", what, e.code(), e.getMessage());
        }
    }

    /** Prints a product's history; false when there is no such product. */
    static boolean printHistory(PriceTracker tracker, String productId, PrintStream out) {
        List<Envelope<ProductEvent>> history = tracker.events(productId);
        if (history.isEmpty()) {
            out.println("no product " + productId);
            return false;
        }
        out.println("History of " + productId + ":");
        for (Envelope<ProductEvent> e : history) {
            out.printf(
                    "  %s  v%-4d %s%n",
                    TIME.format(e.recorded().recordedAt()), e.recorded().version(), describe(e.event()));
        }
        return true;
    }

    static String describe(ProductEvent e) {
        if (e instanceof ProductEvent.ProductCreated c) {
            return "created \"" + c.name() + "\" at " + c.price().toPlainString();
        }
        if (e instanceof ProductEvent.PriceChanged c) {
            return "price " + c.oldPrice().toPlainString() + " -> "
                    + c.newPrice().toPlainString() + " (" + (c.variation().signum() >= 0 ? "+" : "")
                    + c.variation().toPlainString() + ")";
        }
        return "deleted";
    }
}
