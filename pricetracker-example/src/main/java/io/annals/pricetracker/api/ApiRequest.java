package io.annals.pricetracker.api;

import java.util.Map;
import java.util.Objects;

/**
 * An HTTP request as the router sees it, whatever carried it (the JDK's HTTP server or an API
 * Gateway event).
 *
 * @param method the HTTP method, upper case
 * @param path the path without the query string, such as {@code /products/42}; percent-decoded
 * @param query the query parameters (the first value of each)
 * @param body the body as text, empty when there is none
 */
public record ApiRequest(String method, String path, Map<String, String> query, String body) {
    /** @throws NullPointerException if an argument is null */
    public ApiRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        query = Map.copyOf(Objects.requireNonNull(query, "query"));
        Objects.requireNonNull(body, "body");
    }
}
