package io.annals.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleDescriptor.Requires;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library as a modular application uses it: compiled with javac and run with {@code java
 * --module-path}, against the jars of eventstore-core and eventstore-jdbc (their target/classes
 * in a build that stops before packaging; both hold a module-info.class) and the modules those
 * descriptors require. The project's other tests run on the class path, where a wrong
 * descriptor (a missing {@code requires} or {@code opens}, an encapsulated resource) goes unseen.
 *
 * <p>The application is compiled and run with the library's run-time modules only: what the
 * library needs at compile time alone (the nullness annotations of JSpecify, {@code requires
 * static}) must not be asked of it.
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ModulePathTest {

    static final String LIBRARY = "io.annals.eventstore.jdbc";

    /** The modules the library needs at run time, found on the test's class path. */
    static List<Path> runtime;

    @TempDir
    Path dir;

    @BeforeAll
    static void findTheLibraryModules() {
        Map<String, Path> onClassPath = modulesOnTheClassPath();
        Map<String, ModuleDescriptor> needed = requiredFrom(LIBRARY, onClassPath);
        runtime = needed.keySet().stream().map(onClassPath::get).distinct().toList();
    }

    /** The name of each module on the test's class path, and the entry that holds it. */
    static Map<String, Path> modulesOnTheClassPath() {
        Map<String, Path> modules = new HashMap<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (isModuleCandidate(path)) {
                moduleIn(path).ifPresent(name -> modules.putIfAbsent(name, path));
            }
        }
        return modules;
    }

    /**
     * Every module reached from {@code root} by {@code requires}, with its descriptor, but the
     * JDK's. {@code requires static} is left out, as it is at run time.
     */
    static Map<String, ModuleDescriptor> requiredFrom(String root, Map<String, Path> modules) {
        ModuleFinder system = ModuleFinder.ofSystem();
        Map<String, ModuleDescriptor> needed = new LinkedHashMap<>();
        Deque<String> todo = new ArrayDeque<>(List.of(root));
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (needed.containsKey(name) || system.find(name).isPresent()) {
                continue;
            }
            assertThat(modules)
                    .as("module %s, required by the library, on the test's class" + " path", name)
                    .containsKey(name);
            ModuleDescriptor descriptor =
                    ModuleFinder.of(modules.get(name)).find(name).orElseThrow().descriptor();
            needed.put(name, descriptor);
            descriptor.requires().stream()
                    .filter(r -> !r.modifiers().contains(Requires.Modifier.STATIC))
                    .forEach(r -> todo.add(r.name()));
        }
        return needed;
    }

    // A jar, or a directory of classes that is a module itself (the test classes are not).
    private static boolean isModuleCandidate(Path path) {
        return Files.isRegularFile(path) && path.toString().endsWith(".jar")
                || Files.isRegularFile(path.resolve("module-info.class"));
    }

    private static Optional<String> moduleIn(Path path) {
        try {
            return ModuleFinder.of(path).findAll().stream()
                    .findFirst()
                    .map(ModuleReference::descriptor)
                    .map(ModuleDescriptor::name);
        } catch (FindException e) {
            return Optional.empty(); // a jar whose file name gives no module name
        }
    }

    @Test
    void the_library_is_two_explicit_modules_that_keep_the_internal_package_to_themselves() {
        Map<String, ModuleDescriptor> modules = requiredFrom(LIBRARY, modulesOnTheClassPath());

        assertThat(modules).containsKeys("io.annals.eventstore", LIBRARY);
        assertThat(modules.get("io.annals.eventstore").isAutomatic()).isFalse();
        assertThat(modules.get(LIBRARY).isAutomatic()).isFalse();
        assertThat(modules.get("io.annals.eventstore").exports())
                .filteredOn(e -> e.source().equals("io.annals.eventstore.internal"))
                .singleElement()
                .satisfies(e -> assertThat(e.targets()).containsExactly(LIBRARY));
    }

    @Test
    void an_application_module_stores_and_reads_events_on_sqlite() throws Exception {
        Path classes = dir.resolve("classes");
        Compilation compilation = compile(classes, """
                module app {
                    requires io.annals.eventstore.jdbc;
                    opens app to com.fasterxml.jackson.databind; // Jackson reads the records
                }
                """, """
                package app;

                import io.annals.eventstore.Aggregate;
                import io.annals.eventstore.Command;
                import io.annals.eventstore.CommandRejectedException;
                import io.annals.eventstore.Event;
                import io.annals.eventstore.RecordedEvent;
                import io.annals.eventstore.command.CommandHandler;
                import io.annals.eventstore.jdbc.JacksonEventCodec;
                import io.annals.eventstore.jdbc.JdbcEventStore;
                import java.util.List;

                public final class Main {
                    public record Rename(String id, String name) implements Command {
                        @Override public String aggregateId() { return id; }
                    }
                    public sealed interface NameEvent extends Event permits Renamed { }
                    public record Renamed(String from, String to) implements NameEvent { }

                    static final class Names implements Aggregate<String, Rename, NameEvent> {
                        @Override public String category() { return "name"; }
                        @Override public String initialState() { return ""; }
                        @Override public List<NameEvent> decide(String name, Rename c) {
                            if (c.name().isBlank()) throw new CommandRejectedException("blank", "a name");
                            return c.name().equals(name) ? List.of() : List.of(new Renamed(name, c.name()));
                        }
                        @Override public String evolve(String name, NameEvent e) {
                            return ((Renamed) e).to();
                        }
                    }

                    public static void main(String[] args) {
                        try (JdbcEventStore store = JdbcEventStore.open("jdbc:sqlite:app.db")) {
                            var codec = JacksonEventCodec.builder(NameEvent.class)
                                    .register("Renamed", Renamed.class).build();
                            var names = CommandHandler.builder(new Names(), store, codec).build();
                            names.handle(new Rename("n-1", "Ada"));
                            names.handle(new Rename("n-1", "Grace"));
                            for (RecordedEvent e : store.readStream("name-n-1", 1, 10)) {
                                System.out.println(e.version() + " " + e.type() + " " + e.json()
                                        + " " + codec.decode(e).event());
                            }
                            System.out.println(names.load("n-1"));
                            System.out.println(Main.class.getModule() + " reads "
                                    + JdbcEventStore.class.getModule());
                        }
                    }
                }
                """);

        assertThat(compilation.succeeded())
                .as("javac:\n%s", compilation.messages())
                .isTrue();

        Path run = Files.createDirectory(dir.resolve("run"));
        JavaProcess.Result result = JavaProcess.run(
                run,
                List.of("--module-path", classes + File.pathSeparator + joined(runtime), "--module", "app/app.Main"),
                Duration.ofMinutes(1));

        assertThat(result.exitCode())
                .as("exit code; standard error:\n%s", result.stderr())
                .isZero();
        assertThat(result.stdout()).isEqualTo("""
                1 Renamed {"from":"","to":"Ada"} Renamed[from=, to=Ada]
                2 Renamed {"from":"Ada","to":"Grace"} Renamed[from=Ada, to=Grace]
                AggregateState[streamId=name-n-1, state=Grace, version=2]
                module app reads module io.annals.eventstore.jdbc
                """);
        assertThat(run.resolve("app.db"))
                .as("the store is in the working directory")
                .isRegularFile();
    }

    @Test
    void an_application_module_cannot_use_the_internal_package() throws Exception {
        Compilation compilation = compile(dir.resolve("classes"), """
                module app {
                    requires io.annals.eventstore.jdbc;
                }
                """, """
                package app;

                import io.annals.eventstore.internal.AppendChecks;

                public final class Main {
                    public static void main(String[] args) {
                        AppendChecks.checkStreamId("s-1");
                    }
                }
                """);

        assertThat(compilation.succeeded()).isFalse();
        assertThat(compilation.errors()).anySatisfy(d -> {
            assertThat(d.getCode()).isEqualTo("compiler.err.package.not.visible");
            assertThat(d.getMessage(Locale.ROOT))
                    .contains("package io.annals.eventstore.internal is not visible")
                    .contains("package io.annals.eventstore.internal is declared in module"
                            + " io.annals.eventstore, which does not export it to module app");
        });
    }

    @Test
    void an_application_module_compiles_without_the_library_s_compile_only_dependencies() throws Exception {
        Compilation compilation = compile(dir.resolve("classes"), """
                module app {
                    requires io.annals.eventstore.jdbc;
                }
                """, """
                package app;

                import io.annals.eventstore.jdbc.JdbcEventStore;

                public final class Main {
                    public static void main(String[] args) {
                        JdbcEventStore.open("jdbc:sqlite:app.db").close();
                    }
                }
                """, runtime);

        assertThat(compilation.succeeded())
                .as("javac:\n%s", compilation.messages())
                .isTrue();
    }

    /** What javac said about a module. */
    record Compilation(boolean succeeded, List<Diagnostic<? extends JavaFileObject>> diagnostics) {
        List<Diagnostic<? extends JavaFileObject>> errors() {
            return diagnostics.stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .toList();
        }

        String messages() {
            return diagnostics.stream()
                    .map(d -> d.getKind() + " " + d.getSource() + ":" + d.getLineNumber() + ": "
                            + d.getMessage(Locale.ROOT))
                    .collect(Collectors.joining("\n"));
        }
    }

    /**
     * Compiles module {@code app} (its descriptor, and class app.Main) into {@code classes},
     * against the library's run-time modules.
     */
    Compilation compile(Path classes, String moduleInfo, String main) throws IOException {
        return compile(classes, moduleInfo, main, runtime);
    }

    Compilation compile(Path classes, String moduleInfo, String main, List<Path> modulePath) throws IOException {
        Path sources = dir.resolve("src");
        Files.createDirectories(sources.resolve("app"));
        Files.writeString(sources.resolve("module-info.java"), moduleInfo);
        Files.writeString(sources.resolve("app/Main.java"), main);
        Files.createDirectories(classes);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files =
                        javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8);
                Stream<Path> all = Files.walk(sources)) {
            List<Path> javaFiles =
                    all.filter(p -> p.toString().endsWith(".java")).toList();
            // In process, javac's class path defaults to the test's: the library would be found
            // there too, in the unnamed module.
            files.setLocationFromPaths(StandardLocation.CLASS_PATH, List.of());
            boolean ok = javac.getTask(
                            null,
                            files,
                            diagnostics,
                            List.of("-d", classes.toString(), "--module-path", joined(modulePath), "-Xlint:all"),
                            null,
                            files.getJavaFileObjectsFromPaths(javaFiles))
                    .call();
            return new Compilation(ok, diagnostics.getDiagnostics());
        }
    }

    private static String joined(List<Path> paths) {
        return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }
}
