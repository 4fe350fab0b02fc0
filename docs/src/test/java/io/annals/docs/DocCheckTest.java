package io.annals.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.docs.DocCheck.Problem;
import io.annals.docs.DocCheck.Report;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check on small pages of its own: it passes good blocks and fails each kind of rot. */
@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class DocCheckTest {

    @TempDir
    Path root;

    @TempDir
    Path work;

    static final String SOURCE = """
            package p;

            final class Hello {
                static String greeting(String name) {
                    return "Hello, " + name;
                }
            }
            """;

    Report check(String page) throws IOException, InterruptedException {
        Files.createDirectories(root.resolve("src/p"));
        Files.writeString(root.resolve("src/p/Hello.java"), SOURCE);
        Files.writeString(root.resolve("page.md"), page);
        return new DocCheck(root, work, System.getProperty("java.class.path")).check(List.of("page.md"));
    }

    @Test
    void good_blocks_of_every_kind_pass() throws Exception {
        Report report = check("""
                # A page

                ```java
                // file: src/p/Hello.java
                static String greeting(String name) {
                    return "Hello, " + ...;
                }
                ```

                A type, then a block that uses it and prints:

                ```java
                import java.util.List;

                record Name(String first, String last) { }
                ```

                ```java
                import java.util.List;

                static void greet() {
                    for (Name n : List.of(new Name("Ada", "Lovelace"), new Name("Alan", "Turing"))) {
                        System.out.println("Hello, " + n.first());
                    }
                    System.err.println("standard error is not compared");
                }
                ```

                It prints:

                ```text
                Hello, Ada
                Hello, Alan
                ```

                ```sh
                not checked at all
                ```
                """);

        assertThat(report.problems()).isEmpty();
        assertThat(report.excerpts()).isEqualTo(1);
        assertThat(report.compiled()).isEqualTo(2);
        assertThat(report.printed()).isEqualTo(1);
    }

    @Nested
    class It_fails {

        @Test
        void a_block_that_does_not_compile_at_the_line_of_the_page() throws Exception {
            Report report = check("""
                    Text.

                    ```java
                    static int twice(int x) {
                        return x * two;
                    }
                    ```
                    """);

            assertThat(report.problems()).singleElement().satisfies(p -> {
                assertThat(p.page()).isEqualTo("page.md");
                assertThat(p.line()).isEqualTo(5);
                assertThat(p.message()).startsWith("error: cannot find symbol");
            });
        }

        @Test
        void a_block_that_compiles_with_a_warning() throws Exception {
            Report report = check("""
                    ```java
                    import java.util.ArrayList;
                    import java.util.List;

                    static List<String> names() {
                        List names = new ArrayList<String>();
                        return names;
                    }
                    ```
                    """);

            assertThat(report.problems())
                    .isNotEmpty()
                    .allSatisfy(p -> assertThat(p.message()).contains("warning: "))
                    .extracting(Problem::line)
                    .contains(6);
        }

        @Test
        void a_block_that_uses_a_type_of_a_later_block_or_forgets_an_import() throws Exception {
            Report report = check("""
                    ```java
                    static Later make() { return new Later(); }
                    ```

                    ```java
                    final class Later { List<String> list; }
                    ```
                    """);

            assertThat(report.problems()).extracting(Problem::line).containsOnly(2, 6);
        }

        @Test
        void an_excerpt_that_no_longer_matches_its_file() throws Exception {
            Report report = check("""
                    ```java
                    // file: src/p/Hello.java
                    static String greeting(String name) {
                        return "Hi, " + name;
                    }
                    ```
                    """);

            assertThat(report.problems())
                    .singleElement()
                    .hasToString("page.md:4: src/p/Hello.java"
                            + " has no line, after the excerpt's lines above it, `return \"Hi, \" + name;`");
        }

        @Test
        void an_excerpt_of_a_file_that_does_not_exist() throws Exception {
            Report report = check("""
                    ```java
                    // file: src/p/Goodbye.java
                    static String farewell(String name) {
                    ```
                    """);

            assertThat(report.problems())
                    .singleElement()
                    .hasToString("page.md:2: no such file:"
                            + " src/p/Goodbye.java (an excerpt names its file from the repository root)");
        }

        @Test
        void an_excerpt_of_a_file_outside_the_repository() throws Exception {
            Report report = check("""
                    ```java
                    // file: ../outside.java
                    x
                    ```
                    """);

            assertThat(report.problems())
                    .singleElement()
                    .satisfies(p -> assertThat(p.message()).startsWith("no such file"));
        }

        @Test
        void a_printing_block_whose_output_changed() throws Exception {
            Report report = check("""
                    ```java
                    static void count() {
                        for (int i = 1; i <= 3; i++) System.out.println(i);
                    }
                    ```

                    ```text
                    1
                    2
                    ```
                    """);

            assertThat(report.problems()).singleElement().satisfies(p -> {
                assertThat(p.line()).as("the text block").isEqualTo(7);
                assertThat(p.message()).isEqualTo("""
                        the block of line 1 prints
                            | 1
                            | 2
                            | 3
                        but the page says it prints
                            | 1
                            | 2""");
            });
        }

        @Test
        void a_printing_block_that_prints_one_blank_line_more() throws Exception {
            Report report = check("""
                    ```java
                    static void print() {
                        System.out.println("a");
                        System.out.println();
                    }
                    ```

                    ```text
                    a
                    ```
                    """);

            assertThat(report.problems()).hasSize(1);
        }

        @Test
        void a_printing_block_that_throws() throws Exception {
            Report report = check("""
                    ```java
                    static void fail() {
                        throw new IllegalStateException("boom");
                    }
                    ```

                    ```text
                    ```
                    """);

            assertThat(report.problems()).singleElement().satisfies(p -> {
                assertThat(p.line()).isEqualTo(1);
                assertThat(p.message()).startsWith("fail() failed (exit 1)").contains("boom");
            });
        }

        @Test
        void a_printing_block_with_no_single_method_to_run() throws Exception {
            Report report = check("""
                    ```java
                    static void one() { }
                    static void two() { }
                    ```

                    ```text
                    ```
                    """);

            assertThat(report.problems())
                    .singleElement()
                    .satisfies(p -> assertThat(p.message()).contains("exactly one static parameterless void method"));
        }

        @Test
        void an_excerpt_followed_by_a_text_block() throws Exception {
            Report report = check("""
                    ```java
                    // file: src/p/Hello.java
                    final class Hello {
                    ```

                    ```text
                    Hello
                    ```
                    """);

            assertThat(report.problems()).extracting(Problem::line).containsExactly(6);
        }
    }

    @Test
    void a_text_block_after_another_block_is_not_the_output_of_the_java_block() throws Exception {
        Report report = check("""
                ```java
                static void quiet() { }
                ```

                ```sh
                echo hi
                ```

                ```text
                hi
                ```
                """);

        assertThat(report.problems()).isEmpty();
        assertThat(report.printed()).isZero();
    }

    @Test
    void each_printing_block_runs_in_a_fresh_working_directory() throws Exception {
        String block = """
                ```java
                import java.nio.file.Files;
                import java.nio.file.Path;

                static void touch() throws Exception {
                    System.out.println(Files.exists(Path.of("shop.db")) ? "old" : "fresh");
                    Files.createFile(Path.of("shop.db"));
                }
                ```

                ```text
                fresh
                ```
                """;

        Report report = check(block + "\n" + block.replace("touch", "touchAgain"));

        assertThat(report.problems()).isEmpty();
        assertThat(report.printed()).isEqualTo(2);
    }

    @Test
    void the_blocks_of_pages_that_compile_still_run_when_another_page_does_not() throws Exception {
        Files.writeString(root.resolve("broken.md"), "```java\nnot java\n```\n");
        Files.writeString(root.resolve("page.md"), """
                ```java
                static void hello() { System.out.println("hello"); }
                ```

                ```text
                bye
                ```
                """);

        Report report =
                new DocCheck(root, work, System.getProperty("java.class.path")).check(List.of("broken.md", "page.md"));

        assertThat(report.problems()).extracting(Problem::page).contains("broken.md", "page.md");
        assertThat(report.problems())
                .filteredOn(p -> p.page().equals("page.md"))
                .singleElement()
                .satisfies(p -> assertThat(p.message()).contains("| hello"));
    }
}
