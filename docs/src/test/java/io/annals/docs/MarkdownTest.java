package io.annals.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.docs.Markdown.Fence;
import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class MarkdownTest {

    @Test
    void a_fenced_block_has_its_language_its_line_and_its_lines() {
        List<Fence> fences = Markdown.fences("""
                # Title

                ```java
                int x = 1;

                int y = 2;
                ```
                Prose.
                ```
                plain
                ```
                """);

        assertThat(fences)
                .containsExactly(
                        new Fence(3, "java", List.of("int x = 1;", "", "int y = 2;")),
                        new Fence(9, "", List.of("plain")));
        assertThat(fences.get(0).lineOf(2)).isEqualTo(6);
    }

    @Test
    void the_language_is_the_first_word_of_the_info_string() {
        assertThat(Markdown.fences("```java title=\"A.java\"\nx\n```\n"))
                .extracting(Fence::language)
                .containsExactly("java");
    }

    @Test
    void a_block_in_a_list_item_loses_the_indentation_of_its_fence() {
        List<Fence> fences = Markdown.fences("""
                - An item:

                  ```java
                  void f() {
                      g();
                  }
                  ```
                """);

        assertThat(fences).containsExactly(new Fence(3, "java", List.of("void f() {", "    g();", "}")));
    }

    @Test
    void a_longer_fence_holds_shorter_ones_and_tildes_hold_backticks() {
        List<Fence> fences = Markdown.fences("""
                ````md
                ```java
                x
                ```
                ````
                ~~~text
                ```
                ~~~
                """);

        assertThat(fences)
                .containsExactly(
                        new Fence(1, "md", List.of("```java", "x", "```")), new Fence(6, "text", List.of("```")));
    }

    @Test
    void an_unclosed_block_runs_to_the_end_of_the_page() {
        assertThat(Markdown.fences("```java\na\nb\n")).containsExactly(new Fence(1, "java", List.of("a", "b")));
    }

    @Test
    void backticks_with_a_backtick_after_them_are_inline_code_not_a_fence() {
        assertThat(Markdown.fences("``` `code` ```\ntext\n")).isEmpty();
    }
}
