/**
 * The price tracker on AWS Lambda, as the article ran it: {@link
 * io.annals.pricetracker.lambda.ApiGatewayHandler} serves the HTTP API behind API Gateway with the
 * same router as the HTTP server, {@link io.annals.pricetracker.lambda.ProjectorHandler} applies
 * new events to the read models on a schedule, and {@link
 * io.annals.pricetracker.lambda.ProxyEvents} translates the proxy events. Both handlers take the
 * store's JDBC URL from the environment variable {@code PRICETRACKER_DB_URL}. See
 * {@code docs/lambda.md} and {@code pricetracker-example/serverless.yml}.
 */
package io.annals.pricetracker.lambda;
