package io.annals.pricetracker.spring;

import io.annals.eventstore.CommandRejectedException;
import io.annals.eventstore.WrongExpectedVersionException;
import io.annals.pricetracker.domain.ProductAggregate;
import io.annals.pricetracker.domain.ProductCreation;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;

/**
 * Errors as the JDK-server version answers them: {@code {"error": code, "message": text}}, with
 * the same statuses. Nothing in the store changes on an error.
 */
@RestControllerAdvice
class ApiErrors {

    /** An error body. */
    record Error(String error, String message) {}

    @ExceptionHandler
    ResponseEntity<Error> refused(ApiException e) {
        ResponseEntity.BodyBuilder response = ResponseEntity.status(e.status);
        e.headers.forEach(response::header);
        return response.body(new Error(e.code, e.getMessage()));
    }

    @ExceptionHandler
    ResponseEntity<Error> rejected(CommandRejectedException e) {
        int status = switch (e.code()) {
            case ProductAggregate.NOT_FOUND -> 404;
            case ProductAggregate.ALREADY_EXISTS, ProductAggregate.DELETED, ProductCreation.NAME_TAKEN -> 409;
            case ProductAggregate.PRICE_NOT_POSITIVE -> 422;
            default -> 400;
        };
        return ResponseEntity.status(status).body(new Error(e.code(), e.getMessage()));
    }

    @ExceptionHandler
    ResponseEntity<Error> conflict(WrongExpectedVersionException e) {
        return ResponseEntity.status(HttpStatus.CONFLICT)
                .body(new Error("conflict", "too many concurrent changes, try again: " + e.getMessage()));
    }

    @ExceptionHandler
    ResponseEntity<Error> badParameter(MethodArgumentTypeMismatchException e) {
        return ResponseEntity.badRequest()
                .body(new Error("invalid_parameter", e.getName() + " must be a whole number"));
    }
}
