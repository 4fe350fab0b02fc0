package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/** The databases the store supports, each found by its JDBC URL or its product name. */
final class Dialects {

    /**
     * One supported database.
     *
     * @param name its name for messages and for the DDL command line, such as "SQLite"
     * @param urlPrefix how its JDBC URLs start, lower case
     * @param productName what its driver reports as the database product
     * @param folder the class-path folder of its SQL
     * @param hasSchemas whether its tables can live in a schema ({@code schema(...)} applies)
     * @param create makes its dialect
     */
    record Kind(
            String name,
            String urlPrefix,
            String productName,
            String folder,
            boolean hasSchemas,
            BiFunction<StoreSettings, TableNames, Dialect> create) {

        boolean supportsUrl(String jdbcUrl) {
            return jdbcUrl.toLowerCase(Locale.ROOT).startsWith(urlPrefix);
        }

        boolean supportsProduct(String product) {
            return productName.equalsIgnoreCase(product);
        }
    }

    static final Kind SQLITE = new Kind("SQLite", "jdbc:sqlite:", "SQLite", "db/sqlite", false, SqliteDialect::new);
    static final Kind POSTGRESQL =
            new Kind("PostgreSQL", "jdbc:postgresql:", "PostgreSQL", "db/postgresql", true, PostgresDialect::new);

    /** Every supported database. A new one is a new entry here. */
    static final List<Kind> ALL = List.of(SQLITE, POSTGRESQL);

    private Dialects() {}

    /**
     * The database of a JDBC URL.
     *
     * @throws IllegalArgumentException naming the URLs supported
     */
    static Kind forUrl(String jdbcUrl) {
        return ALL.stream()
                .filter(k -> k.supportsUrl(jdbcUrl))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unsupported JDBC URL '"
                        + Redact.url(jdbcUrl) + "': Annals supports "
                        + ALL.stream().map(k -> k.urlPrefix() + "...").collect(Collectors.joining(", "))));
    }

    /**
     * The database behind a DataSource, by the product name its driver reports.
     *
     * @throws IllegalArgumentException if it is not supported
     * @throws EventStoreException if the DataSource cannot connect
     */
    static Kind forDataSource(DataSource dataSource) {
        String product;
        try (Connection c = dataSource.getConnection()) {
            product = c.getMetaData().getDatabaseProductName();
        } catch (SQLException e) {
            throw new EventStoreException("cannot connect to the database to find its kind: " + e.getMessage(), e);
        }
        return forName(product, "database");
    }

    /**
     * The database called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException naming the databases supported
     */
    static Kind forName(String name, String what) {
        return ALL.stream()
                .filter(k -> k.supportsProduct(name) || k.name().equalsIgnoreCase(name))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unsupported " + what + " '" + name
                        + "': Annals supports " + ALL.stream().map(Kind::name).collect(Collectors.joining(" and "))));
    }
}
