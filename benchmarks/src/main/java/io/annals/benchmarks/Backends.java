package io.annals.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * The PostgreSQL server processes that serve the connections of one side of a measurement (its
 * JDBC URL names them with {@code ApplicationName}), and the CPU time each has spent, read from
 * {@code /proc}: the server must run on this machine.
 */
final class Backends {

    private Backends() {}

    /**
     * The CPU nanoseconds of every server process whose connection is named {@code application},
     * by process id.
     *
     * @throws IllegalStateException if there is none
     */
    static Map<Long, Long> cpuNanos(Connection admin, String application) throws SQLException, IOException {
        Map<Long, Long> cpu = new HashMap<>();
        try (PreparedStatement ps =
                admin.prepareStatement("SELECT pid FROM pg_stat_activity WHERE application_name = ?")) {
            ps.setString(1, application);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long pid = rs.getLong(1);
                    try {
                        cpu.put(pid, onCpu(Path.of("/proc/" + pid + "/schedstat")));
                    } catch (NoSuchFileException ended) {
                        // the session ended between the query and the read
                    }
                }
            }
        }
        if (cpu.isEmpty()) {
            throw new IllegalStateException("no server process is named " + application);
        }
        return cpu;
    }

    /**
     * The CPU time spent between two readings of {@link #cpuNanos}: a process that started in
     * between counts from zero, one that ended takes its time with it.
     */
    static long spent(Map<Long, Long> start, Map<Long, Long> end) {
        long sum = 0;
        for (Map.Entry<Long, Long> e : end.entrySet()) {
            sum += e.getValue() - start.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    /** The nanoseconds a process or thread has spent on a CPU: the first field of its schedstat. */
    static long onCpu(Path schedstat) throws IOException {
        String stat = Files.readString(schedstat);
        return Long.parseLong(stat.substring(0, stat.indexOf(' ')));
    }
}
