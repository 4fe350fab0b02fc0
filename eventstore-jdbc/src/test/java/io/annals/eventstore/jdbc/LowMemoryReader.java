package io.annals.eventstore.jdbc;

import io.annals.eventstore.Aggregate;
import io.annals.eventstore.Command;
import io.annals.eventstore.Event;
import io.annals.eventstore.EventCodec;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.command.AggregateState;
import io.annals.eventstore.command.CommandHandler;
import java.util.List;

/**
 * Run by {@code HostileInputContract} in a JVM with a small heap ({@code -Xmx64m}): folds one
 * long stream with the command loop and scans the whole log page by page, then prints
 * {@code OK streamVersion logEvents count}. If a read held a whole stream or log in memory, it
 * would die with an OutOfMemoryError.
 */
final class LowMemoryReader {

    private LowMemoryReader() {}

    record Touch(String id) implements Command {
        @Override
        public String aggregateId() {
            return id;
        }
    }

    record Padded(long n) implements Event {}

    /** Reads {"n":N,...} without keeping the rest of the payload. */
    static final EventCodec<Padded> CODEC = new EventCodec<>() {
        @Override
        public String typeName(Padded event) {
            return "Padded";
        }

        @Override
        public String toJson(Padded event) {
            return "{\"n\":" + event.n() + "}";
        }

        @Override
        public Padded fromJson(String typeName, String json) {
            int start = json.indexOf(':') + 1;
            int end = start;
            while (end < json.length() && (Character.isDigit(json.charAt(end)) || json.charAt(end) == ' ')) {
                end++;
            }
            return new Padded(Long.parseLong(json.substring(start, end).trim()));
        }
    };

    /** The sum of the stream's numbers. */
    static final class Summer implements Aggregate<Long, Touch, Padded> {
        @Override
        public String category() {
            return "big";
        }

        @Override
        public Long initialState() {
            return 0L;
        }

        @Override
        public List<Padded> decide(Long state, Touch command) {
            return List.of();
        }

        @Override
        public Long evolve(Long state, Padded event) {
            return state + event.n();
        }
    }

    public static void main(String[] args) {
        try (JdbcEventStore store =
                JdbcEventStore.builder(args[0]).maxPoolSize(2).open()) {
            AggregateState<Long> folded =
                    CommandHandler.builder(new Summer(), store, CODEC).build().load("one");
            long events = 0;
            long after = 0;
            for (List<RecordedEvent> page; !(page = store.readAll(after, 1000)).isEmpty(); ) {
                events += page.size();
                after = page.get(page.size() - 1).position();
            }
            System.out.println(
                    "OK " + folded.version() + " " + events + " " + folded.state() + " " + store.countEvents());
        }
    }
}
