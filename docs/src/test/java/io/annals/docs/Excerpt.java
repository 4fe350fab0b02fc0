package io.annals.docs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * An excerpt of a file, as a page shows it: lines that follow each other in the file, compared
 * without their leading and trailing whitespace, blank lines ignored on both sides. A line that is
 * only {@code ...} stands for any run of lines (none included); {@code ...} inside a line stands
 * for any text. The excerpt may begin and end anywhere in the file.
 */
final class Excerpt {

    /** What stands for elided code. */
    static final String ELLIPSIS = "...";

    private final List<String> lines;

    /** @param lines the excerpt's lines, as the page shows them */
    Excerpt(List<String> lines) {
        this.lines = List.copyOf(lines);
    }

    /**
     * The first line of the excerpt that does not follow in {@code file}, if any.
     *
     * @return the index (in the lines given to the constructor) of the first line that no match
     *     of the lines before it in {@code file} can be followed by; empty when the whole excerpt
     *     matches
     */
    Optional<Integer> firstMismatch(List<String> file) {
        List<Integer> patternIndex = new ArrayList<>();
        List<String> pattern = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String s = lines.get(i).strip();
            if (!s.isEmpty()) {
                pattern.add(s);
                patternIndex.add(i);
            }
        }
        List<String> text =
                file.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();

        // reached[j]: the first i lines of the pattern match text lines ending just before j
        // (starting anywhere). One row per pattern line, so the first line with no way on is
        // the mismatch to report.
        int n = text.size();
        boolean[] reached = new boolean[n + 1];
        Arrays.fill(reached, true);
        for (int i = 0; i < pattern.size(); i++) {
            String p = pattern.get(i);
            boolean[] next = new boolean[n + 1];
            boolean any = false;
            if (p.equals(ELLIPSIS)) {
                boolean seen = false;
                for (int j = 0; j <= n; j++) {
                    seen |= reached[j];
                    next[j] = seen;
                    any |= seen;
                }
            } else {
                for (int j = 0; j < n; j++) {
                    if (reached[j] && lineMatches(p, text.get(j))) {
                        next[j + 1] = true;
                        any = true;
                    }
                }
            }
            if (!any) {
                return Optional.of(patternIndex.get(i));
            }
            reached = next;
        }
        return Optional.empty();
    }

    /** Whether {@code line} of the file is what {@code pattern} (stripped) says. */
    static boolean lineMatches(String pattern, String line) {
        if (!pattern.contains(ELLIPSIS)) {
            return pattern.equals(line);
        }
        List<String> parts = split(pattern);
        String first = parts.get(0);
        String last = parts.get(parts.size() - 1);
        if (!line.startsWith(first) || line.length() < first.length() + last.length() || !line.endsWith(last)) {
            return false;
        }
        int from = first.length();
        int end = line.length() - last.length();
        for (String middle : parts.subList(1, parts.size() - 1)) {
            int at = line.indexOf(middle, from);
            if (at < 0 || at + middle.length() > end) {
                return false;
            }
            from = at + middle.length();
        }
        return true;
    }

    private static List<String> split(String pattern) {
        List<String> parts = new ArrayList<>();
        int from = 0;
        int at;
        while ((at = pattern.indexOf(ELLIPSIS, from)) >= 0) {
            parts.add(pattern.substring(from, at));
            from = at + ELLIPSIS.length();
        }
        parts.add(pattern.substring(from));
        return parts;
    }
}
