package io.annals.eventstore.jdbc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Stops and starts the local PostgreSQL cluster (Debian's {@code pg_ctlcluster}, as root), for
 * the nightly outage scenarios. Callers stop it in a {@code try} and call {@link #ensureRunning()}
 * in its {@code finally}: the server is never left stopped.
 */
final class PostgresServer {

    private PostgresServer() {}

    /** The version of the local cluster named {@code main}, from {@code pg_lsclusters}. */
    static String version() throws IOException, InterruptedException {
        String out = run(List.of("pg_lsclusters", "-h"));
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 1 && f[1].equals("main")) {
                return f[0];
            }
        }
        return "15";
    }

    /** Stops the server at once, as a crash would: {@code stop -m immediate}. */
    static void stopImmediately() throws IOException, InterruptedException {
        run(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version(), "main", "stop", "-m", "immediate"));
    }

    /** Starts the server if it does not accept connections, and waits until it does. */
    static void ensureRunning() throws IOException, InterruptedException {
        if (accepts()) {
            return;
        }
        try {
            run(List.of("pg_ctlcluster", "--skip-systemctl-redirect", version(), "main", "start"));
        } catch (IOException e) {
            // "already running" while it is still recovering: wait below
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!accepts()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("PostgreSQL did not come back within 120 s");
            }
            Thread.sleep(200);
        }
    }

    static boolean accepts() {
        try (Connection c = DriverManager.getConnection(PostgresTestDatabase.URL)) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(command + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(command + " exited with " + p.exitValue() + ": " + out);
        }
        return out;
    }
}
