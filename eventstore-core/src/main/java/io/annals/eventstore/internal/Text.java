package io.annals.eventstore.internal;

import java.util.Optional;

/** Character rules shared by the checks of every store. */
public final class Text {

    private Text() {}

    /**
     * What no store can keep as text: NUL (PostgreSQL refuses it) and unpaired UTF-16 surrogates
     * (not encodable in UTF-8; they would come back as '?').
     *
     * @return a description of the first such character, empty when there is none
     */
    public static Optional<String> badCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return Optional.of("a NUL character (U+0000) at index " + i);
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return Optional.of("an unpaired surrogate at index " + i);
            }
        }
        return Optional.empty();
    }

    /** The UTF-8 length of {@code s} without encoding it (unpaired surrogates count as 3). */
    public static long utf8Length(String s) {
        long n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * {@code s} as a message can show it: at most 100 characters, control characters and unpaired
     * surrogates escaped (a pair is kept whole, or left out whole at the cut).
     */
    public static String printable(String s) {
        StringBuilder out = new StringBuilder();
        int end = Math.min(s.length(), 100);
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                if (i + 1 < end) {
                    out.append(c).append(s.charAt(++i));
                }
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return s.length() > 100 ? out + "..." : out.toString();
    }
}
