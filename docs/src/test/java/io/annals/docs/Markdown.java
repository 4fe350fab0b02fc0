package io.annals.docs;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fenced code blocks of a Markdown page: just enough of CommonMark for our pages. A fence is
 * three or more backticks or tildes, indented or not (a block inside a list item is indented with
 * its item); the block ends at a line of at least as many of the same character, or at the end of
 * the page. The fence's indentation is removed from the block's lines.
 */
final class Markdown {

    private static final Pattern OPENING = Pattern.compile("^( *)(`{3,}|~{3,})(.*)$");

    private Markdown() {}

    /**
     * A fenced block.
     *
     * @param line the page's line number (from 1) of the opening fence
     * @param language the first word of the info string, "" when there is none
     * @param lines the block's lines, without the fences
     */
    record Fence(int line, String language, List<String> lines) {
        Fence {
            Objects.requireNonNull(language, "language");
            lines = List.copyOf(lines);
            if (line < 1) {
                throw new IllegalArgumentException("line must be at least 1, was " + line);
            }
        }

        /** The page's line number of the block's {@code index}-th line (from 0). */
        int lineOf(int index) {
            return line + 1 + index;
        }
    }

    /** The fenced blocks of {@code page}, in page order. */
    static List<Fence> fences(String page) {
        List<String> lines = page.lines().toList();
        List<Fence> fences = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            Matcher opening = OPENING.matcher(lines.get(i));
            if (!opening.matches() || isBacktickFenceWithBacktickInfo(opening)) {
                i++;
                continue;
            }
            int indent = opening.group(1).length();
            String marker = opening.group(2);
            String info = opening.group(3).strip();
            String language = info.isEmpty() ? "" : info.split("\\s+", 2)[0];
            List<String> content = new ArrayList<>();
            int j = i + 1;
            while (j < lines.size() && !closes(lines.get(j), marker)) {
                content.add(unindent(lines.get(j), indent));
                j++;
            }
            fences.add(new Fence(i + 1, language, content));
            i = j + 1;
        }
        return fences;
    }

    // CommonMark: the info string of a backtick fence cannot contain a backtick (``` `x` ``` is
    // inline code, not a fence).
    private static boolean isBacktickFenceWithBacktickInfo(Matcher opening) {
        return opening.group(2).charAt(0) == '`' && opening.group(3).indexOf('`') >= 0;
    }

    private static boolean closes(String line, String marker) {
        String s = line.strip();
        char c = marker.charAt(0);
        if (s.length() < marker.length()) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            if (s.charAt(k) != c) {
                return false;
            }
        }
        return true;
    }

    private static String unindent(String line, int indent) {
        int k = 0;
        while (k < indent && k < line.length() && line.charAt(k) == ' ') {
            k++;
        }
        return line.substring(k);
    }
}
