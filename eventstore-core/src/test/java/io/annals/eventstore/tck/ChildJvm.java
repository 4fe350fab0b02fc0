package io.annals.eventstore.tck;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A second JVM running a test class's {@code main}, on the test's own class path, so that a test
 * can kill it with SIGKILL ({@link Process#destroyForcibly()}) in the middle of its work. What the
 * child prints on standard output is collected line by line; its standard error goes to a file
 * whose tail is shown when it fails.
 */
public final class ChildJvm implements AutoCloseable {

    private final Process process;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        this.reader = new Thread(
                () -> {
                    try (BufferedReader in = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = in.readLine()) != null; ) {
                            synchronized (lines) {
                                lines.add(line);
                                lines.notifyAll();
                            }
                        }
                    } catch (IOException e) {
                        // the child was killed mid-line: what was read is what it acknowledged
                    }
                },
                "child-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code mainClass} in a new JVM.
     *
     * @param maxHeap for example "64m", or null for the JVM's default
     */
    public static ChildJvm start(Class<?> mainClass, String maxHeap, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (maxHeap != null) {
            command.add("-Xmx" + maxHeap);
        }
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1"); // short-lived: start fast on 2 cores
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass.getName());
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("annals-child-", ".err");
        Process p = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
        return new ChildJvm(p, stderr);
    }

    /** The lines printed so far. */
    public List<String> lines() {
        synchronized (lines) {
            return new ArrayList<>(lines);
        }
    }

    /** Waits until a printed line matches, or the child ends, or the timeout passes. */
    public boolean awaitLine(Predicate<String> matches, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        synchronized (lines) {
            while (true) {
                if (lines.stream().anyMatch(matches)) {
                    return true;
                }
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0 || (!process.isAlive() && !reader.isAlive())) {
                    return false;
                }
                lines.wait(Math.min(left, 50));
            }
        }
    }

    /** kill -9, then waits for the process to be gone and its output to be read to the end. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(10_000);
    }

    /** Waits for the child to exit by itself; returns its exit code. */
    public int await(long timeoutMillis) throws InterruptedException {
        if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            kill();
            throw new AssertionError("the child did not finish in " + timeoutMillis + " ms; " + describe());
        }
        reader.join(10_000);
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The end of the child's standard error and output, for failure messages. */
    public String describe() {
        String err;
        try {
            err = Files.readString(stderr);
        } catch (IOException e) {
            err = "(" + e + ")";
        }
        List<String> out = lines();
        return "stderr: " + err.substring(Math.max(0, err.length() - 4000)) + "\nlast output: "
                + out.subList(Math.max(0, out.size() - 5), out.size());
    }

    /** Kills the child if it still runs, and deletes its standard-error file. */
    @Override
    public void close() throws IOException {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Files.deleteIfExists(stderr);
    }
}
