package io.annals.eventstore.jdbc;

import java.io.PrintStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Copies a store into a new, empty one, transforming or dropping events on the way: the
 * command-line face of {@link StoreCopy}.
 *
 * <pre>
 * java -cp app.jar:annals-jars/* io.annals.eventstore.jdbc.CopyStore \
 *      --from jdbc:sqlite:events.db --to jdbc:sqlite:events-v2.db \
 *      --drop-type PageViewed --rename-type PriceUpdated=PriceChanged
 * </pre>
 *
 * <p>The source is opened read-only; the target is created or migrated, and must hold no
 * events. {@code --drop-type}, {@code --rename-type} and {@code --transform} (a public class with
 * a public no-argument constructor implementing {@link EventTransform}, on the class path) apply
 * in the order given; without any, the copy is the same log. A progress bar goes to standard
 * error, a summary line to standard output. Exits with 0 when the copy is complete, 1 with a
 * one-line error when it fails (with the stack trace when {@code --stack-trace} is given or the
 * environment variable {@value #STACK_TRACE_ENV} is set), 2 with a usage message on bad
 * arguments.
 */
public final class CopyStore {

    /** The environment variable that asks for the stack trace of a failure. */
    public static final String STACK_TRACE_ENV = "ANNALS_STACK_TRACE";

    /** The progress bar is drawn at most this often. */
    private static final long REDRAW_NANOS = 100_000_000L;

    private CopyStore() {}

    /**
     * {@code --from JDBC_URL --to JDBC_URL [--drop-type TYPE]... [--rename-type OLD=NEW]...
     * [--transform CLASS] [--stack-trace]}: copies, then exits with 0 (copied), 1 (failed) or 2
     * (bad arguments).
     */
    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err, System.getenv()));
    }

    /** Runs the command; returns the exit status. */
    static int run(List<String> args, PrintStream out, PrintStream err, Map<String, String> env) {
        if (args.contains("--help") || args.contains("-h")) {
            usage(out, "copies an Annals event store into a new, empty one, transforming events on the way");
            return 0;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            usage(err, "error: " + e.getMessage());
            return 2;
        }
        ProgressBar bar = new ProgressBar(err);
        try (JdbcEventStore source = JdbcEventStore.builder(options.from)
                .openMode(OpenMode.READ_ONLY)
                .open()) {
            StoreCopy.Result result = StoreCopy.from(source)
                    .into(JdbcEventStore.builder(options.to))
                    .transform(options.transform)
                    .onProgress(bar::draw)
                    .run();
            bar.end();
            double seconds = result.duration().toNanos() / 1e9;
            out.printf(
                    Locale.ROOT,
                    "copied %d events: %d written, %d dropped, in %.1f s (%.0f events/s)%n",
                    result.read(),
                    result.written(),
                    result.dropped(),
                    seconds,
                    seconds > 0 ? result.read() / seconds : 0.0);
            return 0;
        } catch (RuntimeException e) {
            bar.end();
            err.println("error: " + oneLine(e));
            if (options.stackTrace || !env.getOrDefault(STACK_TRACE_ENV, "").isEmpty()) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    private static String oneLine(RuntimeException e) {
        String message = e.getMessage() != null ? e.getMessage() : e.toString();
        return message.replaceAll("\\s*\\R\\s*", " ");
    }

    private static void usage(PrintStream out, String problem) {
        out.println(problem);
        out.println("usage: CopyStore --from JDBC_URL --to JDBC_URL [--drop-type TYPE]... "
                + "[--rename-type OLD=NEW]... [--transform CLASS] [--stack-trace]");
    }

    /** The command line, checked before anything is opened. */
    private static final class Options {
        private @Nullable String from;
        private @Nullable String to;
        private EventTransform transform = EventTransform.identity();
        private boolean transformed;
        private boolean customTransform;
        private boolean stackTrace;

        static Options parse(List<String> args) {
            Options o = new Options();
            for (int i = 0; i < args.size(); i++) {
                String option = args.get(i);
                if (option.equals("--stack-trace")) {
                    o.stackTrace = true;
                    continue;
                }
                if (!Set.of("--from", "--to", "--drop-type", "--rename-type", "--transform")
                        .contains(option)) {
                    throw new IllegalArgumentException("unknown option '" + TableNames.printable(option) + "'");
                }
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException(option + " needs a value");
                }
                String value = args.get(++i);
                switch (option) {
                    case "--from" -> o.from = url(option, o.from, value);
                    case "--to" -> o.to = url(option, o.to, value);
                    case "--drop-type" -> o.then(EventTransform.dropTypes(Set.of(type(option, value))));
                    case "--rename-type" -> o.then(rename(value));
                    default -> {
                        if (o.customTransform) {
                            throw new IllegalArgumentException("--transform is given twice: name one class");
                        }
                        o.customTransform = true;
                        o.then(load(value));
                    }
                }
            }
            if (o.from == null || o.to == null) {
                throw new IllegalArgumentException("name the source with --from and the target with --to");
            }
            if (o.from.equals(o.to)) {
                throw new IllegalArgumentException(
                        "--from and --to name the same database: a copy goes into a" + " new, empty store");
            }
            return o;
        }

        private void then(EventTransform next) {
            transform = transformed ? transform.andThen(next) : next;
            transformed = true;
        }

        private static String url(String option, @Nullable String before, String value) {
            if (before != null) {
                throw new IllegalArgumentException(option + " is given twice");
            }
            Dialects.forUrl(value); // an unsupported database is an argument error, said now
            return value;
        }

        private static String type(String option, String value) {
            if (value.isBlank()) {
                throw new IllegalArgumentException(option + " needs an event type, not a blank");
            }
            return value;
        }

        private static EventTransform rename(String value) {
            int eq = value.indexOf('=');
            if (eq <= 0 || eq == value.length() - 1) {
                throw new IllegalArgumentException(
                        "--rename-type takes OLD=NEW, was '" + TableNames.printable(value) + "'");
            }
            String from = value.substring(0, eq);
            String to = value.substring(eq + 1);
            if (from.isBlank() || to.isBlank()) {
                throw new IllegalArgumentException(
                        "--rename-type takes OLD=NEW, two event types, was '" + TableNames.printable(value) + "'");
            }
            try {
                return EventTransform.renameType(from, to);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        "--rename-type " + TableNames.printable(value) + ": " + e.getMessage());
            }
        }

        /** The operator's transform: a class named on the command line, never by stored data. */
        private static EventTransform load(String className) {
            Class<?> type;
            try {
                ClassLoader loader = Thread.currentThread().getContextClassLoader();
                type = Class.forName(className, true, loader != null ? loader : CopyStore.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IllegalArgumentException("--transform: no class " + className + " on the class path");
            }
            if (!EventTransform.class.isAssignableFrom(type)) {
                throw new IllegalArgumentException(
                        "--transform: " + className + " does not implement " + EventTransform.class.getName());
            }
            if (!Modifier.isPublic(type.getModifiers()) || Modifier.isAbstract(type.getModifiers())) {
                throw new IllegalArgumentException("--transform: " + className + " must be a public, concrete class");
            }
            try {
                Constructor<?> constructor = type.getConstructor();
                return (EventTransform) constructor.newInstance();
            } catch (NoSuchMethodException e) {
                throw new IllegalArgumentException(
                        "--transform: " + className + " needs a public constructor without parameters");
            } catch (InvocationTargetException e) {
                throw new IllegalArgumentException(
                        "--transform: the constructor of " + className + " failed: " + e.getCause());
            } catch (ReflectiveOperationException e) {
                throw new IllegalArgumentException("--transform: cannot create " + className + ": " + e);
            }
        }
    }

    /** The progress on one line of standard error, redrawn at most ten times a second. */
    private static final class ProgressBar {
        private static final int WIDTH = 30;
        private final PrintStream err;
        private long lastDrawn;
        private boolean drawn;
        private StoreCopy.@Nullable Progress skipped;

        ProgressBar(PrintStream err) {
            this.err = err;
        }

        void draw(StoreCopy.Progress p) {
            long now = System.nanoTime();
            if (drawn && now - lastDrawn < REDRAW_NANOS) {
                skipped = p;
                return;
            }
            print(p);
            lastDrawn = now;
        }

        /** Draws the last progress if it was skipped, and ends the line. */
        void end() {
            StoreCopy.Progress last = skipped;
            if (last != null) {
                print(last);
            }
            if (drawn) {
                err.println();
                drawn = false;
            }
        }

        private void print(StoreCopy.Progress p) {
            int filled = (int) Math.round(p.fraction() * WIDTH);
            err.printf(
                    Locale.ROOT,
                    "\rcopying [%s%s] %3.0f%%  %d/%d events  %d written  %d dropped  %.0f events/s",
                    "#".repeat(filled),
                    " ".repeat(WIDTH - filled),
                    100 * p.fraction(),
                    p.read(),
                    p.total(),
                    p.written(),
                    p.dropped(),
                    p.eventsPerSecond());
            err.flush();
            drawn = true;
            skipped = null;
        }
    }
}
