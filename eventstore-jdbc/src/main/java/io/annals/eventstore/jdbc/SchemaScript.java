package io.annals.eventstore.jdbc;

import java.io.PrintStream;
import java.time.Clock;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Prints the DDL of a store's schema, for applications that apply their DDL with a tool of their
 * own: the command-line face of {@link JdbcEventStore.Builder#ddl()}. It needs no database and
 * no driver, only the two Annals jars:
 *
 * <pre>
 * java -cp eventstore-core.jar:eventstore-jdbc.jar io.annals.eventstore.jdbc.SchemaScript \
 *      postgresql --schema shop --prefix annals_ &gt; V1__annals.sql
 * </pre>
 *
 * <p>{@code --after N} prints only the migrations after schema version N, for a database the
 * application brought to version N before.
 */
public final class SchemaScript {

    private SchemaScript() {}

    /**
     * {@code DATABASE [--prefix P] [--schema S] [--after N]}: prints the script to standard
     * output; exits with status 2 and a usage line on bad arguments, 0 for {@code --help}.
     */
    public static void main(String[] args) {
        if (List.of(args).contains("--help")) {
            usage(System.out, "prints the DDL of an Annals event store");
            return;
        }
        try {
            System.out.print(script(List.of(args)));
        } catch (IllegalArgumentException e) {
            usage(System.err, e.getMessage());
            System.exit(2);
        }
    }

    /**
     * The script {@code args} ask for.
     *
     * @throws IllegalArgumentException if the arguments are wrong
     */
    static String script(List<String> args) {
        if (args.isEmpty() || args.get(0).startsWith("-")) {
            throw new IllegalArgumentException("name the database");
        }
        Dialects.Kind kind = Dialects.forName(args.get(0), "database");
        TableNames tables = TableNames.defaults();
        int after = 0;
        for (int i = 1; i < args.size(); i += 2) {
            if (i + 1 >= args.size()) {
                throw new IllegalArgumentException(args.get(i) + " needs a value");
            }
            String value = args.get(i + 1);
            switch (args.get(i)) {
                case "--prefix" -> tables = new TableNames(value, tables.schema());
                case "--schema" -> tables = new TableNames(tables.prefix(), value);
                case "--after" -> after = version(value);
                default -> throw new IllegalArgumentException("unknown option " + args.get(i));
            }
        }
        if (tables.schema() != null && !kind.hasSchemas()) {
            throw new IllegalArgumentException(
                    "--schema is for PostgreSQL; a " + kind.name() + " database has no schemas");
        }
        Dialect dialect = kind.create().apply(StoreSettings.defaults(), tables);
        return new Migrator(dialect).ddl(Clock.systemUTC(), after);
    }

    private static int version(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--after takes a schema version, was '" + value + "'");
        }
    }

    private static void usage(PrintStream out, String problem) {
        out.println(problem);
        out.println("usage: SchemaScript "
                + Dialects.ALL.stream()
                        .map(k -> k.name().toLowerCase(java.util.Locale.ROOT))
                        .collect(Collectors.joining("|"))
                + " [--prefix P] [--schema S] [--after N]");
    }
}
