package io.annals.eventstore.jdbc;

import java.util.regex.Pattern;

/** Credentials removed from what the store prints: a JDBC URL may carry a password. */
final class Redact {

    /** {@code password=...} (and similar keys) in the query string or properties of a URL. */
    private static final Pattern SECRET_PARAMETER =
            Pattern.compile("(?i)((?:password|pwd|pass|passwd|secret|sslpassword|sslkey|token)=)[^&;]*");
    /** {@code user:password@} in the authority part of a URL. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/@:]*:)[^/@]*@");

    private Redact() {}

    /** The URL with every password replaced by {@code ***}. */
    static String url(String jdbcUrl) {
        String out = SECRET_PARAMETER.matcher(jdbcUrl).replaceAll("$1***");
        return USER_INFO.matcher(out).replaceAll("$1***@");
    }
}
