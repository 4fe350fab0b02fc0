package io.annals.docs;

import io.annals.docs.Markdown.Fence;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Java block compiled on its own, as a generated interface: its leading {@code import} lines
 * stay imports, the rest becomes the interface's body, and the types and static methods of the
 * page's earlier blocks are imported for it. Each of the block's lines keeps a line of its own in
 * the generated source, so a compiler's line number maps back to the page.
 *
 * @param page the page, from the repository root ({@code docs/getting-started.md})
 * @param fence the block
 * @param packageName the page's package ({@code docs.gettingstarted})
 * @param className the block's interface ({@code Block3}: the page's third Java block)
 * @param output the {@code text} block after it, when the block prints
 */
record Snippet(String page, Fence fence, String packageName, String className, Optional<Fence> output) {

    Snippet {
        Objects.requireNonNull(page, "page");
        Objects.requireNonNull(fence, "fence");
        Objects.requireNonNull(packageName, "packageName");
        Objects.requireNonNull(className, "className");
        Objects.requireNonNull(output, "output");
    }

    /** The fully qualified name of the generated interface. */
    String qualifiedName() {
        return packageName + "." + className;
    }

    /**
     * The generated compilation unit.
     *
     * @param earlier the class names of the page's blocks before this one, imported for it
     */
    Source source(List<String> earlier) {
        List<String> lines = fence.lines();
        int imports = 0;
        while (imports < lines.size() && isImportSection(lines.get(imports))) {
            imports++;
        }
        StringBuilder text = new StringBuilder();
        List<Integer> pageLines = new ArrayList<>();

        StringBuilder header = new StringBuilder("package " + packageName + ";");
        for (String e : earlier) {
            header.append(" import ")
                    .append(packageName)
                    .append('.')
                    .append(e)
                    .append(".*;")
                    .append(" import static ")
                    .append(packageName)
                    .append('.')
                    .append(e)
                    .append(".*;");
        }
        line(text, pageLines, header.toString(), fence.line());
        for (int i = 0; i < imports; i++) {
            line(text, pageLines, lines.get(i), fence.lineOf(i));
        }
        line(text, pageLines, "public interface " + className + " {", fence.line());
        for (int i = imports; i < lines.size(); i++) {
            line(text, pageLines, lines.get(i), fence.lineOf(i));
        }
        line(text, pageLines, "}", fence.lineOf(lines.size()));
        return new Source(text.toString(), pageLines);
    }

    private static boolean isImportSection(String line) {
        String s = line.strip();
        return s.isEmpty() || s.startsWith("import ");
    }

    private static void line(StringBuilder text, List<Integer> pageLines, String line, int pageLine) {
        text.append(line).append('\n');
        pageLines.add(pageLine);
    }

    /**
     * A generated compilation unit.
     *
     * @param text the Java source
     * @param pageLines the page's line number of each line of {@code text} (index 0 is line 1);
     *     generated lines point at the block's fences
     */
    record Source(String text, List<Integer> pageLines) {
        Source {
            Objects.requireNonNull(text, "text");
            pageLines = List.copyOf(pageLines);
        }

        /** The page's line number of line {@code line} (from 1) of the source. */
        int pageLine(long line) {
            if (line < 1) {
                return pageLines.get(0);
            }
            return pageLines.get((int) Math.min(line, pageLines.size()) - 1);
        }
    }
}
