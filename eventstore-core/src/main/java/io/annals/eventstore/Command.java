package io.annals.eventstore;

/**
 * A request to change one aggregate. Commands are usually records, one sealed interface per
 * aggregate, and check their own fields in the compact constructor.
 */
public interface Command {
    /** The id of the aggregate this command is for; the stream id is {@code category-aggregateId}. */
    String aggregateId();
}
