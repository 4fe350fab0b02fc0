package io.annals.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/** A {@code java} command run to its end in a JVM of its own, with what it printed. */
final class JavaProcess {

    private JavaProcess() {}

    /**
     * What a run gave.
     *
     * @param exitCode the status it ended with
     * @param stdout its standard output
     * @param stderr its standard error
     */
    record Result(int exitCode, String stdout, String stderr) {
        Result {
            Objects.requireNonNull(stdout, "stdout");
            Objects.requireNonNull(stderr, "stderr");
        }
    }

    /**
     * Runs the {@code java} of this JVM's JDK with {@code arguments} in {@code directory}, with no
     * standard input; its output is read as UTF-8.
     *
     * @throws IOException if it cannot start, or does not end within {@code timeout} (it is then
     *     killed)
     */
    static Result run(Path directory, List<String> arguments, Duration timeout)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // A short run: start fast, and write the output as the test reads it.
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Dfile.encoding=UTF-8"));
        command.addAll(arguments);
        // Files, not pipes: nothing to drain while waiting, however much it prints.
        Path stdout = Files.createTempFile(directory.getParent(), "stdout-", ".txt");
        Path stderr = Files.createTempFile(directory.getParent(), "stderr-", ".txt");
        Process process = new ProcessBuilder(command)
                .directory(directory.toFile())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        process.getOutputStream().close();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IOException("did not end within " + timeout.toSeconds() + " s: " + String.join(" ", arguments));
        }
        return new Result(
                process.exitValue(),
                Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }
}
