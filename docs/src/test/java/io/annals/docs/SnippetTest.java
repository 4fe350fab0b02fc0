package io.annals.docs;

import static org.assertj.core.api.Assertions.assertThat;

import io.annals.docs.Markdown.Fence;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class SnippetTest {

    // The block opens on line 10 of its page: its lines are lines 11 to 16.
    static final Fence FENCE = new Fence(
            10,
            "java",
            List.of(
                    "import java.util.List;",
                    "",
                    "import static java.util.Objects.requireNonNull;",
                    "record Pair(String a, String b) { }",
                    "",
                    "static void f() { requireNonNull(List.of()); }"));

    final Snippet snippet = new Snippet("docs/a-page.md", FENCE, "docs.apage", "Block3", Optional.empty());

    @Test
    void leading_imports_stay_imports_and_the_rest_is_the_body_of_an_interface() {
        Snippet.Source source = snippet.source(List.of());

        assertThat(source.text()).isEqualTo("""
                package docs.apage;
                import java.util.List;

                import static java.util.Objects.requireNonNull;
                public interface Block3 {
                record Pair(String a, String b) { }

                static void f() { requireNonNull(List.of()); }
                }
                """);
    }

    @Test
    void the_types_and_static_methods_of_the_earlier_blocks_are_imported_on_the_first_line() {
        Snippet.Source source = snippet.source(List.of("Block1", "Block2"));

        assertThat(source.text().lines().findFirst())
                .contains("package docs.apage;"
                        + " import docs.apage.Block1.*; import static docs.apage.Block1.*;"
                        + " import docs.apage.Block2.*; import static docs.apage.Block2.*;");
    }

    @Test
    void each_line_of_the_source_maps_to_a_line_of_the_page() {
        Snippet.Source source = snippet.source(List.of("Block1"));

        assertThat(source.pageLine(1)).as("generated header: the opening fence").isEqualTo(10);
        assertThat(source.pageLine(2)).as("first import").isEqualTo(11);
        assertThat(source.pageLine(4)).as("static import").isEqualTo(13);
        assertThat(source.pageLine(5))
                .as("generated interface: the opening fence")
                .isEqualTo(10);
        assertThat(source.pageLine(6)).as("the record").isEqualTo(14);
        assertThat(source.pageLine(8)).as("the method").isEqualTo(16);
        assertThat(source.pageLine(9)).as("generated end: the closing fence").isEqualTo(17);
    }

    @Test
    void a_page_s_package_is_its_file_name_in_letters() {
        assertThat(DocCheck.packageOf("README.md")).isEqualTo("docs.readme");
        assertThat(DocCheck.packageOf("docs/getting-started.md")).isEqualTo("docs.gettingstarted");
        assertThat(DocCheck.packageOf("docs/2-steps.md")).isEqualTo("docs.page2steps");
        assertThat(DocCheck.packageOf("docs/for.md")).isEqualTo("docs.pagefor");
    }
}
