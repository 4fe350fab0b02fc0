package io.annals.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.annals.benchmarks.Peers.PriceChanged;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.jdbc.ConnectionWrapperFactory;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.jdbc.AbstractEventTableFactory;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * W15's peer: Axon Framework 4.13's {@link JdbcEventStorageEngine} used directly, as an Axon
 * application's event store uses it under the aggregate repository: {@code appendEvents} of
 * domain event messages (the unique (aggregateIdentifier, sequenceNumber) is its version check),
 * {@code readEvents(aggregateIdentifier)} and {@code readEvents(token, false)}, payloads through
 * its {@link JacksonSerializer} (events and snapshots, so no XStream). Its tables come from
 * {@code createSchema}; connections from a HikariCP pool with its defaults; transactions from
 * {@link PerUnitTransactions}. Every other option is the builder's default (batch size 100).
 */
final class AxonSide implements Peers.Peer {

    /**
     * Axon 4.13 has no table factory for SQLite (its generic ones declare the global index with
     * {@code GENERATED ... AS IDENTITY} or {@code BIGSERIAL}): this one keeps Axon's tables and
     * indexes and declares the global index {@code INTEGER}, so that with the table's
     * {@code PRIMARY KEY (globalIndex)} it is SQLite's rowid, assigned on insert (no AUTOINCREMENT).
     */
    static final class SqliteEventTableFactory extends AbstractEventTableFactory {
        static final SqliteEventTableFactory INSTANCE = new SqliteEventTableFactory();

        @Override
        protected String idColumnType() {
            return "INTEGER";
        }

        @Override
        protected String payloadType() {
            return "BLOB";
        }
    }

    /**
     * The transaction manager and connection provider: a transaction takes a connection from the
     * pool, turns auto-commit off and binds it to the thread; every statement Axon runs in it gets
     * that connection (wrapped by Axon's own {@link ConnectionWrapperFactory} with its no-op close
     * handler, so that Axon's close and commit leave it alone, as its unit-of-work-aware provider
     * does); commit commits, turns auto-commit back on and returns it to the pool. This is
     * what Spring's {@code DataSourceTransactionManager} does for an Axon application. A nested
     * transaction joins the outer one. Outside a transaction (schema creation) a connection comes
     * straight from the pool, auto-committed.
     */
    static final class PerUnitTransactions implements TransactionManager, ConnectionProvider {
        private static final ConnectionWrapperFactory.ConnectionCloseHandler LEAVE_OPEN =
                new ConnectionWrapperFactory.NoOpCloseHandler();

        private final HikariDataSource pool;
        private final ThreadLocal<Connection> current = new ThreadLocal<>();

        PerUnitTransactions(HikariDataSource pool) {
            this.pool = pool;
        }

        @Override
        public Transaction startTransaction() {
            if (current.get() != null) {
                return new Transaction() {
                    @Override
                    public void commit() {}

                    @Override
                    public void rollback() {}
                };
            }
            Connection c;
            try {
                c = pool.getConnection();
                c.setAutoCommit(false);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot begin a transaction", e);
            }
            current.set(c);
            return new Transaction() {
                @Override
                public void commit() {
                    end(c, true);
                }

                @Override
                public void rollback() {
                    end(c, false);
                }
            };
        }

        private void end(Connection c, boolean commit) {
            current.remove();
            try (c) {
                if (commit) {
                    c.commit();
                } else {
                    c.rollback();
                }
                c.setAutoCommit(true);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot " + (commit ? "commit" : "roll back"), e);
            }
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = current.get();
            return c == null ? pool.getConnection() : ConnectionWrapperFactory.wrap(c, LEAVE_OPEN);
        }
    }

    private final HikariDataSource pool;
    private final JdbcEventStorageEngine engine;

    AxonSide(Target target) throws SQLException {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(target.url);
        config.setPoolName("axon-" + target.name);
        if (target.sqlite()) {
            // sqlite-jdbc applies these as pragmas on every connection it opens.
            config.addDataSourceProperty("journal_mode", "WAL");
            config.addDataSourceProperty("synchronous", "FULL");
            config.addDataSourceProperty("busy_timeout", "5000");
        }
        this.pool = new HikariDataSource(config);
        try (Connection c = pool.getConnection()) {
            Peers.checkSqlitePragmas(target, c, "Axon's pool");
        }
        PerUnitTransactions transactions = new PerUnitTransactions(pool);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        this.engine = JdbcEventStorageEngine.builder()
                .connectionProvider(transactions)
                .transactionManager(transactions)
                .eventSerializer(serializer)
                .snapshotSerializer(serializer)
                // On SQLite the check for a gap wider than a batch, run when a batch of the log comes back
                // empty, fails at the end of the log: sqlite-jdbc refuses getObject(1, Long.class) on the
                // NULL of its MIN(globalIndex) ("Bad value for type Long"). SQLite's rowids have no such
                // gaps (one writer at a time, rowids in commit order), so the check is off there.
                .extendedGapCheckEnabled(!target.sqlite())
                .build();
        engine.createSchema(target.sqlite() ? SqliteEventTableFactory.INSTANCE : PostgresEventTableFactory.INSTANCE);
        byte[] bytes = serializer.serialize(Peers.event("p", 7), byte[].class).getData();
        String json = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        if (!json.equals(Domain.json("p", 7))) {
            throw new IllegalStateException("Axon's serializer writes " + json + ", not " + Domain.json("p", 7));
        }
        byte[] meta = serializer
                .serialize(MetaData.from(Peers.METADATA), byte[].class)
                .getData();
        if (!new String(meta, java.nio.charset.StandardCharsets.UTF_8).equals(Peers.METADATA_JSON)) {
            throw new IllegalStateException("Axon's serializer writes the metadata as " + new String(meta));
        }
    }

    @Override
    public String name() {
        return "Axon";
    }

    @Override
    public Peers.Session session() {
        return new Peers.Session() {
            @Override
            public void append(String stream, long version, List<PriceChanged> events) {
                List<DomainEventMessage<?>> messages = new ArrayList<>(events.size());
                long sequence = version; // Axon's sequence numbers start at 0
                Instant now = Instant.now();
                for (PriceChanged e : events) {
                    messages.add(new GenericDomainEventMessage<>(
                            Peers.AGGREGATE_TYPE,
                            stream,
                            sequence++,
                            e,
                            Peers.METADATA,
                            UUID.randomUUID().toString(),
                            now));
                }
                engine.appendEvents(messages);
            }

            @Override
            public Peers.Tally read(String stream) {
                Peers.Tally tally = new Peers.Tally();
                DomainEventStream events = engine.readEvents(stream);
                while (events.hasNext()) {
                    DomainEventMessage<?> m = events.next();
                    tally.add(m.getSequenceNumber() + 1, (PriceChanged) m.getPayload());
                }
                return tally;
            }

            @Override
            public Peers.Tally scan() {
                Peers.Tally tally = new Peers.Tally();
                try (Stream<? extends TrackedEventMessage<?>> log = engine.readEvents(null, false)) {
                    log.forEach(m -> {
                        DomainEventMessage<?> d = (DomainEventMessage<?>) m;
                        tally.addAny(d.getSequenceNumber() + 1, (PriceChanged) d.getPayload());
                    });
                }
                return tally;
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public long rows() throws SQLException {
        try (Connection c = pool.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM DomainEventEntry")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
