package io.annals.pricetracker.lambda;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The sample events under {@code src/test/resources/lambda/}, and a way to invoke a handler. */
final class LambdaEvents {

    static final ObjectMapper JSON = new ObjectMapper();

    private LambdaEvents() {}

    /** The bytes of {@code lambda/NAME}. */
    static byte[] resource(String name) {
        try (InputStream in = LambdaEvents.class.getResourceAsStream("/lambda/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource lambda/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Invokes {@code handler} as the Lambda runtime would, and parses what it wrote. */
    static JsonNode invoke(RequestStreamHandler handler, byte[] event, Context context) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.handleRequest(new ByteArrayInputStream(event), out, context);
            return JSON.readTree(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode invoke(RequestStreamHandler handler, String event) {
        return invoke(handler, event.getBytes(StandardCharsets.UTF_8), null);
    }

    /** The JSON in the {@code body} of a proxy response. */
    static JsonNode body(JsonNode proxyResponse) {
        try {
            return JSON.readTree(proxyResponse.get("body").textValue());
        } catch (IOException e) {
            throw new AssertionError("the body is not JSON: " + proxyResponse, e);
        }
    }

    /** The smallest {@link Context}: a logger that keeps its lines; everything else is empty. */
    static final class TinyContext implements Context {
        final List<String> lines = new ArrayList<>();

        @Override
        public String getAwsRequestId() {
            return "6f0b1e8c-3c0d-4a4f-9b3e-2f7d4c5a6b71";
        }

        @Override
        public String getLogGroupName() {
            return "/aws/lambda/pricetracker-dev-api";
        }

        @Override
        public String getLogStreamName() {
            return "2024/03/14/[$LATEST]0123456789abcdef";
        }

        @Override
        public String getFunctionName() {
            return "pricetracker-dev-api";
        }

        @Override
        public String getFunctionVersion() {
            return "$LATEST";
        }

        @Override
        public String getInvokedFunctionArn() {
            return "arn:aws:lambda:eu-west-1:123456789012:function:pricetracker-dev-api";
        }

        @Override
        public CognitoIdentity getIdentity() {
            return null;
        }

        @Override
        public ClientContext getClientContext() {
            return null;
        }

        @Override
        public int getRemainingTimeInMillis() {
            return 29_000;
        }

        @Override
        public int getMemoryLimitInMB() {
            return 1024;
        }

        @Override
        public LambdaLogger getLogger() {
            return new LambdaLogger() {
                @Override
                public void log(String message) {
                    lines.add(message);
                }

                @Override
                public void log(byte[] message) {
                    lines.add(new String(message, StandardCharsets.UTF_8));
                }
            };
        }
    }
}
