package io.annals.docs;

import static java.util.stream.Collectors.toSet;

import io.annals.docs.Markdown.Fence;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.lang.model.SourceVersion;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * Checks the Java blocks of Markdown pages by the conventions of docs/WRITING.md: an excerpt
 * ({@code // file: PATH} on its first line) must match its file; any other Java block must
 * compile, all of them in one compiler call; a block followed by a {@code text} block is run in a
 * JVM of its own and must print that text.
 */
final class DocCheck {

    static final String FILE_MARKER = "// file:";

    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(2);

    private final Path root;
    private final Path work;
    private final String classPath;

    /**
     * @param root the directory the pages and the excerpts' paths are relative to
     * @param work an empty scratch directory: the blocks' classes, their working directories
     * @param classPath what the blocks compile and run against
     */
    DocCheck(Path root, Path work, String classPath) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.work = Objects.requireNonNull(work, "work");
        this.classPath = Objects.requireNonNull(classPath, "classPath");
    }

    /** Something wrong with a page, at a line of it. */
    record Problem(String page, int line, String message) {
        Problem {
            Objects.requireNonNull(page, "page");
            Objects.requireNonNull(message, "message");
        }

        @Override
        public String toString() {
            return page + ":" + line + ": " + message;
        }
    }

    /**
     * What a check found.
     *
     * @param problems everything wrong, in page order within each kind
     * @param excerpts the excerpts matched against their files
     * @param compiled the blocks compiled
     * @param printed the blocks followed by a text block: run and compared with it, unless a
     *     block of their page did not compile
     */
    record Report(List<Problem> problems, int excerpts, int compiled, int printed) {
        Report {
            problems = List.copyOf(problems);
        }
    }

    /** Checks {@code pages} (paths from the root, with {@code /}). */
    Report check(List<String> pages) throws IOException, InterruptedException {
        List<Problem> problems = new ArrayList<>();
        List<Snippet> snippets = new ArrayList<>();
        Map<Snippet, Snippet.Source> sources = new IdentityHashMap<>();
        Map<String, String> packages = new HashMap<>();
        int excerpts = 0;

        for (String page : pages) {
            String packageName = packageOf(page);
            String other = packages.putIfAbsent(packageName, page);
            if (other != null) {
                problems.add(new Problem(
                        page,
                        1,
                        "its blocks would share package " + packageName + " with those of " + other
                                + ": rename one of the pages"));
                continue;
            }
            List<Fence> fences = Markdown.fences(Files.readString(root.resolve(page)));
            List<String> earlier = new ArrayList<>();
            int javaBlocks = 0;
            for (int i = 0; i < fences.size(); i++) {
                Fence fence = fences.get(i);
                if (!fence.language().equals("java")) {
                    continue;
                }
                javaBlocks++;
                Optional<Fence> output = Optional.of(i + 1)
                        .filter(k -> k < fences.size())
                        .map(fences::get)
                        .filter(f -> f.language().equals("text"));
                if (isExcerpt(fence)) {
                    excerpts++;
                    problems.addAll(checkExcerpt(page, fence));
                    output.ifPresent(text -> problems.add(new Problem(
                            page,
                            text.line(),
                            "an excerpt is not run: its output cannot be checked (put the code"
                                    + " to run in a block of its own)")));
                    continue;
                }
                Snippet snippet = new Snippet(page, fence, packageName, "Block" + javaBlocks, output);
                snippets.add(snippet);
                sources.put(snippet, snippet.source(earlier));
                earlier.add(snippet.className());
            }
        }

        long printing = snippets.stream().filter(s -> s.output().isPresent()).count();
        Path classes = Files.createDirectories(work.resolve("classes"));
        List<Problem> compileProblems = compile(snippets, sources, classes);
        problems.addAll(compileProblems);
        if (!compileProblems.isEmpty()) {
            // javac may have written no class at all: compile the pages that had no problem
            // again, on their own, so that their blocks still run.
            Set<String> broken = compileProblems.stream().map(Problem::page).collect(toSet());
            snippets = snippets.stream().filter(s -> !broken.contains(s.page())).toList();
            classes = Files.createDirectories(work.resolve("classes-of-the-pages-that-compile"));
            problems.addAll(compile(snippets, sources, classes));
        }

        for (Snippet snippet : snippets) {
            if (snippet.output().isPresent()) {
                run(snippet, classes).ifPresent(problems::add);
            }
        }
        problems.sort(Comparator.comparing(Problem::page).thenComparing(Problem::line));
        return new Report(problems, excerpts, sources.size(), (int) printing);
    }

    static boolean isExcerpt(Fence fence) {
        return !fence.lines().isEmpty() && fence.lines().get(0).strip().startsWith(FILE_MARKER);
    }

    /** The package of a page's blocks: {@code docs.} and the page's file name in letters. */
    static String packageOf(String page) {
        String name = page.substring(page.lastIndexOf('/') + 1).replaceFirst("\\.md$", "");
        String letters = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (letters.isEmpty() || !Character.isLetter(letters.charAt(0)) || SourceVersion.isKeyword(letters)) {
            letters = "page" + letters;
        }
        return "docs." + letters;
    }

    private List<Problem> checkExcerpt(String page, Fence fence) throws IOException {
        String path =
                fence.lines().get(0).strip().substring(FILE_MARKER.length()).strip();
        Path file = root.resolve(path).normalize();
        if (path.isEmpty() || !file.startsWith(root) || !Files.isRegularFile(file)) {
            return List.of(new Problem(
                    page,
                    fence.lineOf(0),
                    "no such file: " + path + " (an excerpt names its file from the repository root)"));
        }
        List<String> body = fence.lines().subList(1, fence.lines().size());
        if (body.stream().allMatch(String::isBlank)) {
            return List.of(new Problem(page, fence.lineOf(0), "the excerpt of " + path + " shows no line of it"));
        }
        List<String> text = Files.readAllLines(file, StandardCharsets.UTF_8);
        return new Excerpt(body)
                .firstMismatch(text)
                .map(i -> List.of(new Problem(
                        page,
                        fence.lineOf(1 + i),
                        path
                                + (body.subList(0, i).stream().allMatch(String::isBlank)
                                        ? " has no line "
                                        : " has no line, after the excerpt's lines above it, ")
                                + "`" + body.get(i).strip() + "`")))
                .orElse(List.of());
    }

    private List<Problem> compile(List<Snippet> snippets, Map<Snippet, Snippet.Source> sources, Path classes)
            throws IOException {
        if (snippets.isEmpty()) {
            return List.of();
        }
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        Map<JavaFileObject, Snippet> units = new IdentityHashMap<>();
        for (Snippet snippet : snippets) {
            units.put(
                    new StringSource(
                            snippet.qualifiedName(), sources.get(snippet).text()),
                    snippet);
        }
        // As strict as the build: a warning in a doc block is a bad example.
        List<String> options = List.of(
                "-d",
                classes.toString(),
                "--class-path",
                classPath,
                "--release",
                "17",
                "-proc:none",
                "-implicit:none",
                "-Xlint:all,-path,-processing,-serial",
                "-Xmaxerrs",
                "1000",
                "-Xmaxwarns",
                "1000");
        try (StandardJavaFileManager files =
                javac.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            javac.getTask(null, files, diagnostics, options, null, units.keySet())
                    .call();
        }
        List<Problem> problems = new ArrayList<>();
        for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
            if (d.getKind() == Diagnostic.Kind.NOTE || d.getKind() == Diagnostic.Kind.OTHER) {
                continue;
            }
            Snippet snippet = d.getSource() == null ? null : units.get(d.getSource());
            String message = d.getKind().toString().toLowerCase(Locale.ROOT).replace('_', ' ') + ": "
                    + d.getMessage(Locale.ROOT);
            if (snippet == null) {
                problems.add(new Problem("javac", 0, message));
            } else {
                problems.add(new Problem(snippet.page(), sources.get(snippet).pageLine(d.getLineNumber()), message));
            }
        }
        return problems;
    }

    /** Runs a printing block in a JVM of its own; a problem if it fails or prints otherwise. */
    private Optional<Problem> run(Snippet snippet, Path classes) throws IOException, InterruptedException {
        Fence expected = snippet.output().orElseThrow();
        List<Method> candidates;
        try (URLClassLoader loader =
                new URLClassLoader(new URL[] {classes.toUri().toURL()}, DocCheck.class.getClassLoader())) {
            Class<?> block = loader.loadClass(snippet.qualifiedName());
            candidates = Arrays.stream(block.getDeclaredMethods())
                    .filter(m -> Modifier.isStatic(m.getModifiers())
                            && !m.isSynthetic()
                            && m.getParameterCount() == 0
                            && m.getReturnType() == void.class)
                    .toList();
        } catch (ClassNotFoundException e) {
            return Optional.of(new Problem(
                    snippet.page(), snippet.fence().line(), "the block was not compiled: " + e.getMessage()));
        }
        if (candidates.size() != 1) {
            return Optional.of(new Problem(
                    snippet.page(),
                    snippet.fence().line(),
                    "a block followed by a text block must declare exactly one static"
                            + " parameterless void method, to run; this one declares "
                            + candidates.size()));
        }
        String method = candidates.get(0).getName();

        Path dir = Files.createTempDirectory(work, snippet.className() + "-");
        JavaProcess.Result result;
        try {
            result = JavaProcess.run(
                    dir,
                    List.of(
                            "-cp",
                            classes + File.pathSeparator + classPath,
                            RunBlock.class.getName(),
                            snippet.qualifiedName(),
                            method),
                    RUN_TIMEOUT);
        } catch (IOException e) {
            return Optional.of(new Problem(snippet.page(), snippet.fence().line(), method + "() " + e.getMessage()));
        }
        if (result.exitCode() != 0) {
            return Optional.of(new Problem(
                    snippet.page(),
                    snippet.fence().line(),
                    method + "() failed (exit " + result.exitCode() + "):\n"
                            + result.stderr().strip()));
        }
        String printed = result.stdout();
        String want = String.join("\n", expected.lines());
        if (!withoutFinalNewline(printed).equals(want)) {
            return Optional.of(new Problem(
                    snippet.page(),
                    expected.line(),
                    "the block of line " + snippet.fence().line() + " prints\n"
                            + indent(withoutFinalNewline(printed))
                            + "\nbut the page says it prints\n" + indent(want)));
        }
        return Optional.empty();
    }

    static String withoutFinalNewline(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private static String indent(String text) {
        return text.lines()
                .map(l -> "    | " + l)
                .reduce((a, b) -> a + "\n" + b)
                .orElse("    |");
    }

    /** A compilation unit held in memory. */
    private static final class StringSource extends SimpleJavaFileObject {
        private final String text;

        StringSource(String qualifiedName, String text) {
            super(URI.create("string:///" + qualifiedName.replace('.', '/') + Kind.SOURCE.extension), Kind.SOURCE);
            this.text = text;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return text;
        }
    }
}
