package io.annals.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The shape of the SQLite table that holds the rows of keyed read models: as the store creates it
 * (a rowid table whose primary key {@code (projection, key)} is a second B-tree) against the same
 * table {@code WITHOUT ROWID} (one B-tree, the row stored in the key's). Each shape gets a
 * database of its own holding 100,000 rows of one projection, then takes batches of 500 upserts
 * of keys drawn at random from 110,000 (the first upsert of a key not loaded inserts it), the
 * values of each batch differing from all others all along, one transaction per batch, with the
 * store's settings (WAL, {@code synchronous=FULL}, {@code secure_delete=ON}), for values of
 * several sizes. Per shape and size it prints the pages each commit adds to the WAL (which does not
 * depend on how busy the machine is), the rows upserted per second (which does) in alternating
 * rounds, and the file's size.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.annals.benchmarks.RowsTableShape [DIR]
 * </pre>
 */
final class RowsTableShape {

    private static final int ROWS = 100_000;
    private static final int BATCH = 500;
    private static final int BATCHES = 100;
    private static final int ROUNDS = 3;
    private static final int[] VALUE_BYTES = {45, 400, 2_000, 8_000};

    private RowsTableShape() {}

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("annals-rows-shape");
        if (!Files.isDirectory(dir) || !Files.isWritable(dir)) {
            System.err.println("RowsTableShape: " + dir.toAbsolutePath()
                    + " is not a writable directory; give one for its databases, or none for a temporary one");
            System.exit(2);
        }
        System.out.println(
                "value bytes | shape         | WAL pages per commit | rows/s, each round         | file MiB");
        for (int bytes : VALUE_BYTES) {
            Shape rowid = new Shape(dir.resolve("rowid-" + bytes + ".db"), false, bytes);
            Shape without = new Shape(dir.resolve("without-rowid-" + bytes + ".db"), true, bytes);
            try (rowid;
                    without) {
                for (int round = 0; round < ROUNDS; round++) {
                    // alternate which shape runs first
                    Shape first = round % 2 == 0 ? rowid : without;
                    Shape second = first == rowid ? without : rowid;
                    first.round();
                    second.round();
                }
                rowid.print();
                without.print();
            }
        }
        if (args.length == 0) {
            Files.delete(dir); // the temporary one, emptied as each shape closed
        }
    }

    /** One table shape on a database of its own. */
    private static final class Shape implements AutoCloseable {
        private final Path file;
        private final boolean withoutRowid;
        private final int bytes;
        private final Connection c;
        private final SplittableRandom random = new SplittableRandom(7);
        private final StringBuilder rates = new StringBuilder();
        private long frames;
        private long commits;
        /** The batches written so far, each with values of its own. */
        private long serial;

        Shape(Path file, boolean withoutRowid, int bytes) throws SQLException {
            this.file = file;
            this.withoutRowid = withoutRowid;
            this.bytes = bytes;
            this.c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode = WAL");
                st.execute("PRAGMA synchronous = FULL");
                st.execute("PRAGMA secure_delete = ON");
                st.execute("PRAGMA wal_autocheckpoint = 0"); // the WAL counts every page a round writes
                st.execute("DROP TABLE IF EXISTS rows");
                st.execute("CREATE TABLE rows (projection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, "
                        + "PRIMARY KEY (projection, key))" + (withoutRowid ? " WITHOUT ROWID" : ""));
                st.execute("BEGIN IMMEDIATE");
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO rows VALUES ('totals', ?, ?)")) {
                    for (int k = 0; k < ROWS; k++) {
                        insert.setString(1, key(k));
                        insert.setString(2, value(k));
                        insert.addBatch();
                    }
                    insert.executeBatch();
                }
                st.execute("COMMIT");
            }
        }

        private static String key(int k) {
            return String.format(Locale.ROOT, "product-%07d", k);
        }

        /**
         * A JSON object of {@code bytes} characters whose filler repeats {@code n}: the values of
         * two batches differ every few bytes, all along. SQLite leaves an overflow page of a
         * rewritten row alone when its bytes are the same, so values differing only at their
         * start would spare the pages of large rows.
         */
        private String value(long n) {
            String head = "{\"events\":" + n + ",\"price\":12.34,\"note\":\"";
            String unit = n + ";";
            int fill = Math.max(0, bytes - head.length() - 2);
            return head + unit.repeat(fill / unit.length() + 1).substring(0, fill) + "\"}";
        }

        void round() throws SQLException {
            try (Statement st = c.createStatement();
                    PreparedStatement upsert = c.prepareStatement("INSERT INTO rows VALUES ('totals', ?, ?) "
                            + "ON CONFLICT (projection, key) DO UPDATE SET value = excluded.value")) {
                walFrames(st, "TRUNCATE");
                long began = System.nanoTime();
                for (int b = 0; b < BATCHES; b++) {
                    String value = value(++serial);
                    st.execute("BEGIN IMMEDIATE");
                    for (int i = 0; i < BATCH; i++) {
                        upsert.setString(1, key(random.nextInt(ROWS + ROWS / 10)));
                        upsert.setString(2, value);
                        upsert.addBatch();
                    }
                    upsert.executeBatch();
                    st.execute("COMMIT");
                }
                double seconds = (System.nanoTime() - began) / 1e9;
                frames += walFrames(st, "PASSIVE");
                commits += BATCHES;
                rates.append(String.format(Locale.ROOT, "%,9.0f", BATCHES * BATCH / seconds));
            }
        }

        /** Checkpoints the WAL in {@code mode}; returns the frames it held. */
        private static long walFrames(Statement st, String mode) throws SQLException {
            try (ResultSet rs = st.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
                rs.next();
                return rs.getLong(2);
            }
        }

        void print() throws Exception {
            try (Statement st = c.createStatement()) {
                walFrames(st, "TRUNCATE");
            }
            System.out.printf(
                    Locale.ROOT,
                    "%11d | %-13s | %20.1f | %s | %8.1f%n",
                    bytes,
                    withoutRowid ? "WITHOUT ROWID" : "rowid (store)",
                    (double) frames / commits,
                    rates,
                    Files.size(file) / 1048576.0);
        }

        @Override
        public void close() throws SQLException, IOException {
            c.close();
            for (String suffix : new String[] {"", "-wal", "-shm"}) {
                Files.deleteIfExists(Path.of(file + suffix));
            }
        }
    }
}
