package io.annals.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java blocks of README.md and docs/*.md are tests, so the docs cannot rot. How a block is
 * checked depends on how it is written (docs/WRITING.md says it for the writers):
 *
 * <ol>
 *   <li>A block whose first line is {@code // file: PATH} (from the repository root) is an excerpt
 *       of that file: its other lines must follow each other in the file, compared without leading
 *       and trailing whitespace, blank lines ignored; a line that is only {@code ...} stands for
 *       any run of lines, {@code ...} inside a line for any text. The build compiles the file, so
 *       the excerpt is compiled too.
 *   <li>Any other Java block is compiled on its own: its leading {@code import} lines are its
 *       imports, the rest the body of a generated {@code interface} (package {@code docs.PAGE},
 *       class {@code BlockN} for the page's N-th Java block), so records and nested classes work
 *       as written and methods are declared {@code static}. The types and static methods of the
 *       page's earlier blocks are imported for it; JDK and library types it imports itself.
 *       Every block of every page is compiled in one compiler call, with the build's lint
 *       warnings; a problem is reported at the page's line.
 *   <li>A Java block followed by a {@code text} block (prose between them, no other block) prints
 *       that text: its only static, parameterless, void method is run in a JVM of its own, in a
 *       fresh temporary working directory, and what it writes to standard output must be the
 *       text block exactly (but for the final newline). Standard error is not compared.
 *   <li>Blocks in other languages are not checked.
 * </ol>
 */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DocsTest {

    @Test
    void every_java_block_of_the_docs_compiles_matches_its_file_or_prints_what_the_page_says(@TempDir Path work)
            throws IOException, InterruptedException {
        Path root = repositoryRoot();

        DocCheck.Report report = new DocCheck(root, work, System.getProperty("java.class.path")).check(pages(root));

        assertThat(report.problems())
                .as(
                        "problems in the docs:\n%s",
                        report.problems().stream().map(Object::toString).collect(Collectors.joining("\n")))
                .isEmpty();
        // A parser that found nothing would pass the check above.
        assertThat(report.excerpts()).as("excerpts matched").isPositive();
        assertThat(report.compiled()).as("blocks compiled").isPositive();
        assertThat(report.printed()).as("blocks run").isPositive();
    }

    /** README.md and the pages directly in docs/, in name order. */
    static List<String> pages(Path root) throws IOException {
        List<String> pages = new ArrayList<>(List.of("README.md"));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.getFileName().toString().endsWith(".md") && Files.isRegularFile(p))
                    .map(p -> "docs/" + p.getFileName())
                    .sorted()
                    .forEach(pages::add);
        }
        return pages;
    }

    static Path repositoryRoot() {
        String root = System.getProperty("annals.repository.root");
        assertThat(root)
                .as("system property annals.repository.root (set by docs/pom.xml)")
                .isNotNull();
        Path path = Path.of(root).toAbsolutePath().normalize();
        assertThat(path.resolve("README.md")).as("the repository root").isRegularFile();
        return path;
    }
}
