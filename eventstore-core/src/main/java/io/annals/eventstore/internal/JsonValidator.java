package io.annals.eventstore.internal;

import java.util.Optional;

/**
 * A strict RFC 8259 checker for event payloads, with no dependency.
 *
 * <p>Stricter than the RFC where a store could not keep the payload, or the stores and the
 * library's readers would not agree on it: the escape {@code \u0000} and unpaired UTF-16
 * surrogates (escaped or raw) are refused (PostgreSQL cannot store them), a key written twice in
 * one object is refused, compared after unescaping ({@code "a"} and {@code "\u0061"} are the same
 * key), and numbers are at most {@value #MAX_NUMBER_LENGTH} characters with an exponent of at
 * most {@value #MAX_EXPONENT} either way (what the library's readers accept). Nesting is bounded
 * so that hostile input cannot exhaust the stack of whoever parses it later.
 */
public final class JsonValidator {

    private final String text;
    private final int maxDepth;
    private int pos;

    private JsonValidator(String text, int maxDepth) {
        this.text = text;
        this.maxDepth = maxDepth;
    }

    /**
     * Checks that {@code text} is exactly one JSON object, at most {@code maxDepth} deep.
     *
     * @return what is wrong and where; empty when valid
     */
    public static Optional<String> checkObject(String text, int maxDepth) {
        return new JsonValidator(text, maxDepth).check();
    }

    private Optional<String> check() {
        try {
            skipWhitespace();
            if (pos >= text.length()) {
                return Optional.of("empty text");
            }
            if (text.charAt(pos) != '{') {
                return Optional.of("not a JSON object (starts with '" + text.charAt(pos) + "')");
            }
            value(0);
            skipWhitespace();
            if (pos != text.length()) {
                return Optional.of("trailing text at offset " + pos);
            }
            return Optional.empty();
        } catch (Invalid e) {
            return Optional.of(e.getMessage());
        }
    }

    private static final class Invalid extends Exception {
        private static final long serialVersionUID = 1L;

        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    private Invalid invalid(String what) {
        return new Invalid(what + " at offset " + pos);
    }

    /** An object or array being read. */
    private static final class Frame {
        final boolean object;
        final java.util.Set<String> keys;

        Frame(boolean object) {
            this.object = object;
            this.keys = object ? new java.util.HashSet<>() : null;
        }
    }

    /**
     * Reads one value, iteratively: nesting lives in an explicit stack, so no input can overflow
     * the thread's stack, whatever the depth limit.
     */
    private void value(int ignoredDepth) throws Invalid {
        java.util.ArrayDeque<Frame> stack = new java.util.ArrayDeque<>();
        boolean expectValue = true;
        while (true) {
            skipWhitespace();
            if (expectValue) {
                char c = peek();
                if (c == '{' || c == '[') {
                    if (stack.size() + 1 > maxDepth) {
                        throw invalid("nested deeper than " + maxDepth + " levels");
                    }
                    pos++;
                    Frame f = new Frame(c == '{');
                    stack.push(f);
                    skipWhitespace();
                    if (peek() == (f.object ? '}' : ']')) {
                        pos++;
                        stack.pop();
                        expectValue = false;
                    } else if (f.object) {
                        key(f);
                    }
                    continue;
                }
                scalar(c);
                expectValue = false;
            } else {
                if (stack.isEmpty()) {
                    return;
                }
                Frame f = stack.peek();
                char c = peek();
                if (c == ',') {
                    pos++;
                    if (f.object) {
                        key(f);
                    }
                    expectValue = true;
                } else if (c == (f.object ? '}' : ']')) {
                    pos++;
                    stack.pop();
                } else {
                    throw invalid(f.object ? "expected ',' or '}'" : "expected ',' or ']'");
                }
            }
        }
    }

    /**
     * Reads {@code "key" :} of an object, refusing a key the object has already, however it is
     * written ({@code "a"}, {@code "\u0061"}).
     */
    private void key(Frame f) throws Invalid {
        skipWhitespace();
        if (peek() != '"') {
            throw invalid("expected a string key");
        }
        int keyStart = pos;
        string();
        if (!f.keys.add(unescape(text.substring(keyStart + 1, pos - 1)))) {
            throw new Invalid("the key " + text.substring(keyStart, pos)
                    + " appears twice in one object at offset " + keyStart
                    + " (keys are compared after unescaping)");
        }
        skipWhitespace();
        expect(':');
    }

    /** The characters a valid string's body stands for. */
    private static String unescape(String body) {
        if (body.indexOf('\\') < 0) {
            return body;
        }
        StringBuilder out = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = body.charAt(++i);
            switch (e) {
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    out.append((char) Integer.parseInt(body.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                default -> out.append(e); // " \ /
            }
        }
        return out.toString();
    }

    private void scalar(char c) throws Invalid {
        switch (c) {
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    number();
                } else if (pos >= text.length()) {
                    throw invalid("unexpected end of text");
                } else {
                    throw invalid("unexpected character '" + printable(c) + "'");
                }
            }
        }
    }

    private void string() throws Invalid {
        pos++; // opening quote
        int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (c == '"') {
                pos++;
                return;
            }
            if (c == '\\') {
                pos++;
                escape();
            } else if (c < 0x20) {
                throw invalid("unescaped control character U+" + hex4(c) + " in a string");
            } else if (Character.isHighSurrogate(c)) {
                if (pos + 1 >= n || !Character.isLowSurrogate(text.charAt(pos + 1))) {
                    throw invalid("unpaired surrogate in a string");
                }
                pos += 2;
            } else if (Character.isLowSurrogate(c)) {
                throw invalid("unpaired surrogate in a string");
            } else {
                pos++;
            }
        }
        throw invalid("unterminated string");
    }

    private void escape() throws Invalid {
        char c = peek();
        switch (c) {
            case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> pos++;
            case 'u' -> {
                pos++;
                int cp = hexEscape();
                if (cp == 0) {
                    throw invalid("the escape \\u0000 is not accepted (PostgreSQL jsonb cannot store it)");
                }
                if (Character.isHighSurrogate((char) cp)) {
                    if (pos + 1 < text.length() && text.charAt(pos) == '\\' && text.charAt(pos + 1) == 'u') {
                        pos += 2;
                        if (!Character.isLowSurrogate((char) hexEscape())) {
                            throw invalid("unpaired surrogate escape");
                        }
                    } else {
                        throw invalid("unpaired surrogate escape");
                    }
                } else if (Character.isLowSurrogate((char) cp)) {
                    throw invalid("unpaired surrogate escape");
                }
            }
            default -> throw invalid("invalid escape '\\" + printable(c) + "'");
        }
    }

    private int hexEscape() throws Invalid {
        if (pos + 4 > text.length()) {
            throw invalid("truncated \\u escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw invalid("invalid \\u escape");
            }
            value = value * 16 + d;
        }
        pos += 4;
        return value;
    }

    /** The longest number accepted, in characters. */
    public static final int MAX_NUMBER_LENGTH = 1_000;
    /** The largest exponent accepted, either way. */
    static final int MAX_EXPONENT = 1_000;

    private void number() throws Invalid {
        int start = pos;
        number(start);
        if (pos - start > MAX_NUMBER_LENGTH) {
            throw new Invalid("a number of " + (pos - start) + " characters at offset " + start + " (at most "
                    + MAX_NUMBER_LENGTH + ")");
        }
    }

    private void number(int start) throws Invalid {
        if (peek() == '-') {
            pos++;
        }
        char c = peek();
        if (c == '0') {
            pos++;
        } else if (c >= '1' && c <= '9') {
            digits();
        } else {
            throw invalid("invalid number");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw invalid("invalid number: digit expected after '.'");
            }
            digits();
        }
        c = peek();
        if (c == 'e' || c == 'E') {
            pos++;
            c = peek();
            if (c == '+' || c == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw invalid("invalid number: digit expected in exponent");
            }
            int digitsStart = pos;
            digits();
            String exponent = text.substring(digitsStart, pos).replaceFirst("^0+(?=.)", "");
            if (exponent.length() > 4 || Integer.parseInt(exponent) > MAX_EXPONENT) {
                throw new Invalid("a number with exponent " + exponent + " at offset " + start + " (at most "
                        + MAX_EXPONENT + " either way)");
            }
        }
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void literal(String word) throws Invalid {
        if (!text.startsWith(word, pos)) {
            throw invalid("invalid literal");
        }
        pos += word.length();
    }

    private void expect(char c) throws Invalid {
        if (peek() != c) {
            throw invalid("expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or U+FFFF at the end (never valid where a token is expected). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\uffff';
    }

    private void skipWhitespace() {
        int n = text.length();
        while (pos < n) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                pos++;
            } else {
                return;
            }
        }
    }

    private static String printable(char c) {
        return c < 0x20 || c == '\uffff' ? "U+" + hex4(c) : String.valueOf(c);
    }

    private static String hex4(char c) {
        return String.format("%04X", (int) c);
    }
}
