package io.annals.pricetracker.lambda;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.annals.pricetracker.api.ApiRequest;
import io.annals.pricetracker.api.ApiResponse;
import io.annals.pricetracker.api.HttpApiServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Translates between API Gateway's Lambda proxy events and the router's {@link ApiRequest} and
 * {@link ApiResponse}, with no AWS library: the events are plain JSON, read with Jackson.
 *
 * <p>Two request shapes are understood:
 * <table>
 *   <caption>Proxy event shapes</caption>
 *   <tr><th></th><th>REST API (payload 1.0)</th><th>HTTP API (payload 2.0)</th></tr>
 *   <tr><td>recognised by</td><td>{@code httpMethod}</td><td>{@code "version": "2.0"}</td></tr>
 *   <tr><td>method</td><td>{@code httpMethod}</td><td>{@code requestContext.http.method}</td></tr>
 *   <tr><td>path</td><td>{@code path}</td><td>{@code rawPath}, less a named stage's
 *       {@code /{stage}} prefix</td></tr>
 *   <tr><td>query</td><td>{@code multiValueQueryStringParameters} (first value), else
 *       {@code queryStringParameters}</td><td>{@code rawQueryString}, else
 *       {@code queryStringParameters}</td></tr>
 *   <tr><td>body</td><td colspan="2">{@code body}, base64-decoded when {@code isBase64Encoded};
 *       UTF-8</td></tr>
 * </table>
 * Headers, cookies and the rest of the request context are not read: the router does not use
 * them. The response shape, {@code {"statusCode", "headers", "body", "isBase64Encoded": false}},
 * is the same for both (payload 2.0 accepts the 1.0 response shape).
 */
public final class ProxyEvents {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ProxyEvents() {}

    /**
     * Reads a proxy event into the request the router takes.
     *
     * @param event the event as the Lambda runtime passes it: UTF-8 JSON
     * @return the request, its path percent-decoded
     * @throws NullPointerException if {@code event} is null
     * @throws IllegalArgumentException if {@code event} is not a proxy event of either shape, or
     *     a field of it is malformed (a body that is not base64 though flagged so, or not UTF-8;
     *     a malformed query string); the message says which
     */
    public static ApiRequest request(byte[] event) {
        JsonNode root;
        try {
            root = JSON.readTree(event);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("the event is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            // readTree(byte[]) reads from memory: only malformed input can fail
            throw new IllegalArgumentException("the event cannot be read: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the event must be a JSON object");
        }
        if ("2.0".equals(textOrNull(root, "version"))) {
            return httpApi(root);
        }
        if (root.has("httpMethod")) {
            return restApi(root);
        }
        throw new IllegalArgumentException("not an API Gateway proxy event: neither 'httpMethod' "
                + "(REST API, payload 1.0) nor 'version' \"2.0\" (HTTP API, payload 2.0)");
    }

    /** REST API, or an HTTP API with payload format 1.0. */
    private static ApiRequest restApi(JsonNode root) {
        String method = method(requiredText(root, "httpMethod", "httpMethod"));
        String path = path(requiredText(root, "path", "path"));
        Map<String, String> query = firstValues(root.get("multiValueQueryStringParameters"));
        if (query == null) {
            query = parameters(root.get("queryStringParameters"), "queryStringParameters");
        }
        return new ApiRequest(method, path, query, body(root));
    }

    /** HTTP API, payload format 2.0. */
    private static ApiRequest httpApi(JsonNode root) {
        JsonNode context = root.get("requestContext");
        JsonNode http = context == null ? null : context.get("http");
        if (http == null || !http.isObject()) {
            throw new IllegalArgumentException("field 'requestContext.http' is required in a " + "version 2.0 event");
        }
        String method = method(requiredText(http, "method", "requestContext.http.method"));
        String rawPath = requiredText(root, "rawPath", "rawPath");
        // An HTTP API served on a named stage (not $default) puts "/{stage}" before the route's
        // path in rawPath; the routes do not know the stage, so it goes.
        String stage = textOrNull(context, "stage");
        if (stage != null && !stage.isEmpty() && !stage.equals("$default")) {
            String prefix = "/" + stage;
            if (rawPath.equals(prefix)) {
                rawPath = "/";
            } else if (rawPath.startsWith(prefix + "/")) {
                rawPath = rawPath.substring(prefix.length());
            }
        }
        Map<String, String> query;
        JsonNode raw = root.get("rawQueryString");
        if (raw != null && !raw.isNull()) {
            if (!raw.isTextual()) {
                throw new IllegalArgumentException("field 'rawQueryString' must be a string");
            }
            query = HttpApiServer.query(raw.textValue());
            if (query == null) {
                throw new IllegalArgumentException("field 'rawQueryString' is not a valid query string");
            }
        } else {
            query = parameters(root.get("queryStringParameters"), "queryStringParameters");
        }
        return new ApiRequest(method, path(rawPath), query, body(root));
    }

    private static String method(String method) {
        if (method.isBlank() || !method.chars().allMatch(c -> c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
            throw new IllegalArgumentException("the HTTP method must be letters, was \"" + method + "\"");
        }
        return method.toUpperCase(Locale.ROOT);
    }

    /**
     * Percent-decodes a path. A REST API passes the path as the client sent it (encoded); an HTTP
     * API has been reported to pass {@code rawPath} already decoded. Decoding both is safe here
     * because a product id never holds {@code %}: a {@code %} not followed by two hex digits is
     * left alone, and the router refuses the id.
     */
    static String path(String raw) {
        if (raw.isEmpty()) {
            return "/";
        }
        if (!raw.startsWith("/")) {
            // a path may hold an email address (DELETE /watchers/{email}): never repeat it then
            throw new IllegalArgumentException("the path must start with '/', was \""
                    + (raw.contains("@") ? "(a path holding an email address)" : raw) + "\"");
        }
        if (raw.indexOf('%') < 0) {
            return raw;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
        byte[] in = raw.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '%' && i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
                bytes.write(hex(in[i + 1]) * 16 + hex(in[i + 2]));
                i += 2;
            } else {
                bytes.write(in[i]);
            }
        }
        return utf8(bytes.toByteArray(), "the path");
    }

    private static int hex(byte b) {
        return Character.digit((char) b, 16);
    }

    private static String body(JsonNode root) {
        JsonNode body = root.get("body");
        if (body == null || body.isNull()) {
            return "";
        }
        if (!body.isTextual()) {
            throw new IllegalArgumentException("field 'body' must be a string or null");
        }
        JsonNode flag = root.get("isBase64Encoded");
        if (flag != null && !flag.isNull() && !flag.isBoolean()) {
            throw new IllegalArgumentException("field 'isBase64Encoded' must be true or false");
        }
        if (flag == null || !flag.booleanValue()) {
            return body.textValue();
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(body.textValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("field 'body' is flagged base64 but is not: " + e.getMessage());
        }
        return utf8(decoded, "the body");
    }

    private static String utf8(byte[] bytes, String what) {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-8");
        }
    }

    /** {@code {"name": "value"}}, or an empty map for null. */
    private static Map<String, String> parameters(JsonNode node, String field) {
        Map<String, String> out = new HashMap<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("field '" + field + "' must be an object or null");
        }
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("field '" + field + "." + e.getKey() + "' must be a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /** {@code {"name": ["first", ...]}} to the first values; null when the field is absent or null. */
    private static Map<String, String> firstValues(JsonNode node) {
        String field = "multiValueQueryStringParameters";
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("field '" + field + "' must be an object or null");
        }
        Map<String, String> out = new HashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            JsonNode values = e.getValue();
            if (!values.isArray() || values.isEmpty() || !values.get(0).isTextual()) {
                throw new IllegalArgumentException(
                        "field '" + field + "." + e.getKey() + "' must be an array of strings");
            }
            out.put(e.getKey(), values.get(0).textValue());
        }
        return out;
    }

    private static String requiredText(JsonNode node, String name, String field) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("field '" + field + "' is required");
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field '" + field + "' must be a string");
        }
        return v.textValue();
    }

    private static String textOrNull(JsonNode node, String name) {
        JsonNode v = node == null ? null : node.get(name);
        return v != null && v.isTextual() ? v.textValue() : null;
    }

    /**
     * Writes the router's response as a proxy response:
     * {@code {"statusCode": 200, "headers": {...}, "body": "...", "isBase64Encoded": false}}.
     *
     * @param response the router's response
     * @return the proxy response, UTF-8 JSON
     * @throws NullPointerException if {@code response} is null
     */
    public static byte[] response(ApiResponse response) {
        ObjectNode out = JSON.createObjectNode();
        out.put("statusCode", response.status());
        ObjectNode headers = out.putObject("headers");
        response.headers().entrySet().stream()
                .sorted(Map.Entry.comparingByKey())
                .forEach(h -> headers.put(h.getKey(), h.getValue()));
        out.put("body", response.body());
        out.put("isBase64Encoded", false);
        try {
            return JSON.writeValueAsBytes(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the proxy response", e);
        }
    }
}
