package io.annals.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.DisplayNameGeneration;
import org.junit.jupiter.api.DisplayNameGenerator;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

@DisplayNameGeneration(DisplayNameGenerator.ReplaceUnderscores.class)
class ExcerptTest {

    static final List<String> FILE = """
            package p;

            final class A {
                /** The answer. */
                int answer() {
                    int x = 40;

                    return x + 2; // not 41
                }

                void other() {
                }
            }
            """.lines().toList();

    static List<String> excerpt(String text) {
        return text.lines().toList();
    }

    @Nested
    class It_matches {

        @Test
        void lines_that_follow_each_other_in_the_file_whatever_their_indentation() {
            assertThat(new Excerpt(excerpt("""
                    int answer() {
                      int x = 40;
                    """)).firstMismatch(FILE)).isEmpty();
        }

        @Test
        void across_blank_lines_on_either_side() {
            assertThat(new Excerpt(excerpt("""
                    int x = 40;
                    return x + 2; // not 41

                    }
                    """)).firstMismatch(FILE)).isEmpty();
        }

        @Test
        void over_a_line_of_dots_standing_for_any_run_of_lines() {
            assertThat(new Excerpt(excerpt("""
                    final class A {
                        ...
                        return x + 2; // not 41
                        ...
                    }
                    """)).firstMismatch(FILE)).isEmpty();
        }

        @Test
        void over_a_line_of_dots_standing_for_no_line_at_all() {
            assertThat(new Excerpt(excerpt("""
                    int answer() {
                    ...
                    int x = 40;
                    """)).firstMismatch(FILE)).isEmpty();
        }

        @Test
        void dots_inside_a_line_for_any_text() {
            assertThat(new Excerpt(excerpt("""
                    int x = ...;
                    return ... + ... // ...
                    """)).firstMismatch(FILE)).isEmpty();
        }
    }

    @Nested
    class It_reports_the_first_line_that_does_not_follow {

        @Test
        void when_a_line_is_not_in_the_file() {
            assertThat(new Excerpt(excerpt("""
                    int answer() {
                        int x = 41;
                    """)).firstMismatch(FILE)).contains(1);
        }

        @Test
        void when_a_line_differs_by_a_comment() {
            assertThat(new Excerpt(excerpt("""
                    int x = 40;  // forty
                    """)).firstMismatch(FILE)).contains(0);
        }

        @Test
        void when_lines_of_the_file_are_skipped_without_a_line_of_dots() {
            assertThat(new Excerpt(excerpt("""
                    final class A {
                        return x + 2; // not 41
                    """)).firstMismatch(FILE)).contains(1);
        }

        @Test
        void when_lines_are_in_another_order() {
            assertThat(new Excerpt(excerpt("""
                    void other() {
                    ...
                    int answer() {
                    """)).firstMismatch(FILE)).contains(2);
        }

        @Test
        void counting_the_blank_lines_of_the_excerpt() {
            assertThat(new Excerpt(excerpt("""
                    int x = 40;

                    return x + 3;
                    """)).firstMismatch(FILE)).contains(2);
        }
    }

    @Test
    void dots_inside_a_line_match_within_that_line_only() {
        assertThat(Excerpt.lineMatches("return ...;", "return x + 2;")).isTrue();
        assertThat(Excerpt.lineMatches("return ...;", "return x + 2; // not 41"))
                .isFalse();
        assertThat(Excerpt.lineMatches("a...b...a", "aba")).isTrue();
        assertThat(Excerpt.lineMatches("a...b...a", "aa")).isFalse();
        assertThat(Excerpt.lineMatches("a...a", "a")).isFalse();
        assertThat(Excerpt.lineMatches("...", "anything")).isTrue();
    }
}
