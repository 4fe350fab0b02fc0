package io.annals.pricetracker.api;

import java.util.Map;
import java.util.Objects;

/**
 * An HTTP response from the router.
 *
 * @param status the status code
 * @param headers extra headers (the content type is among them)
 * @param body the body as text
 */
public record ApiResponse(int status, Map<String, String> headers, String body) {
    /** @throws NullPointerException if an argument is null */
    public ApiResponse {
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        Objects.requireNonNull(body, "body");
    }
}
