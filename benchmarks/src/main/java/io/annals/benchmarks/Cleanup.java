package io.annals.benchmarks;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a run leaves behind, undone however it ends (normally, on an error, or on Ctrl-C): the
 * PostgreSQL schemas it created, the processes it started (servers, wrk), the sessions it held
 * open, its temporary folder.
 */
final class Cleanup {

    static final String SCHEMA_PREFIX = "annals_bench_";

    private static final Map<String, String> SCHEMAS = new LinkedHashMap<>(); // schema -> admin URL
    private static final List<Process> PROCESSES = new ArrayList<>();
    private static final List<Path> FOLDERS = new ArrayList<>();
    private static final List<Connection> CONNECTIONS = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Cleanup::all, "annals-bench-cleanup"));
    }

    private Cleanup() {}

    static synchronized void schemaCreated(String adminUrl, String schema) {
        SCHEMAS.put(schema, adminUrl);
    }

    static synchronized void process(Process p) {
        PROCESSES.add(p);
    }

    static synchronized void folder(Path p) {
        FOLDERS.add(p);
    }

    /** A connection kept open for the run (idle sessions of other applications). */
    static synchronized void connection(Connection c) {
        CONNECTIONS.add(c);
    }

    /** Drops a schema; if the server cannot be reached, it stays listed for {@link #all()}. */
    static boolean dropSchema(String adminUrl, String schema) {
        try (Connection c = DriverManager.getConnection(adminUrl);
                Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            synchronized (Cleanup.class) {
                SCHEMAS.remove(schema);
            }
            return true;
        } catch (SQLException e) {
            System.err.println("could not drop schema " + schema + " (yet): " + e.getMessage());
            return false;
        }
    }

    /** Waits up to {@code seconds} for the server at {@code url} to accept connections. */
    static boolean awaitServer(String url, int seconds) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try (Connection c = DriverManager.getConnection(url)) {
                return c.isValid(5);
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                try {
                    Thread.sleep(2_000);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }

    /** Stops a process: politely, then by force. */
    static void stop(Process p) {
        if (!p.isAlive()) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static void all() {
        all(true);
    }

    /** Stops the processes and drops the schemas left; with {@code folders}, deletes the folders too. */
    static synchronized void all(boolean folders) {
        for (Process p : PROCESSES) {
            stop(p);
        }
        PROCESSES.clear();
        for (Connection c : CONNECTIONS) {
            try {
                c.close();
            } catch (SQLException e) {
                // gone already
            }
        }
        CONNECTIONS.clear();
        for (Map.Entry<String, String> e : new ArrayList<>(SCHEMAS.entrySet())) {
            if (!dropSchema(e.getValue(), e.getKey())) {
                // The server went away (restarted by someone else's tests?): wait for it, never leave a schema.
                System.err.println("waiting up to 5 minutes for PostgreSQL to drop " + e.getKey());
                if (awaitServer(e.getValue(), 300)) {
                    dropSchema(e.getValue(), e.getKey());
                }
            }
        }
        if (folders) {
            for (Path f : FOLDERS) {
                deleteTree(f);
            }
            FOLDERS.clear();
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.err.println("could not delete " + root + ": " + e.getMessage());
        }
    }
}
