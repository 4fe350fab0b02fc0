package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventData;
import io.annals.eventstore.ExpectedVersion;
import java.util.List;

/**
 * One append, checked and ready to write.
 *
 * @param streamId the stream
 * @param expected the expectation
 * @param events the events, already checked against the limits
 * @param metadata each event's metadata as a JSON object, null when empty
 * @param recordedAtMicros the store clock's time, in microseconds since the epoch
 */
record AppendRequest(
        String streamId, ExpectedVersion expected, List<EventData> events, String[] metadata, long recordedAtMicros) {

    /** The lowest current version the expectation accepts. */
    long minCurrentVersion() {
        if (expected instanceof ExpectedVersion.Exactly e) {
            return e.version();
        }
        return expected instanceof ExpectedVersion.StreamExists ? 1 : 0;
    }

    /** The highest current version the expectation accepts. */
    long maxCurrentVersion() {
        if (expected instanceof ExpectedVersion.Exactly e) {
            return e.version();
        }
        return expected instanceof ExpectedVersion.NoStream ? 0 : Long.MAX_VALUE;
    }
}
