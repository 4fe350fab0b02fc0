package io.annals.eventstore.jdbc;

import io.annals.eventstore.EventStoreException;
import io.annals.eventstore.RecordedEvent;
import io.annals.eventstore.internal.Tags;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * The columns of an event, in the one order every read selects them ({@code {event_columns}} in
 * the SQL files) and {@link #read} takes them back.
 */
enum EventColumn {
    STREAM_ID("stream_id"),
    VERSION("version"),
    POSITION("position"),
    EVENT_ID("event_id"),
    TYPE("type"),
    DATA("data"),
    METADATA("metadata"),
    RECORDED_AT("recorded_at"),
    TAGS("tags");

    private final String column;

    EventColumn(String column) {
        this.column = column;
    }

    /** The select list: each column as {@code expression} says to read it, in this order. */
    static String selectList(Function<EventColumn, String> expression) {
        return Arrays.stream(values()).map(expression).collect(Collectors.joining(", "));
    }

    /**
     * The select list of a read of one stream: {@link #selectList} of the columns, with {@code
     * NULL} in place of the stream id, which the reader knows. Reading the id back from every row
     * made reading a ten-event stream from SQLite about a tenth slower.
     */
    static String streamSelectList() {
        return selectList(c -> c == STREAM_ID ? "NULL" : c.column());
    }

    /** The column's name in the table. */
    String column() {
        return column;
    }

    /** Reads every row of a statement that selects {@link #selectList}. */
    static List<RecordedEvent> readAll(PreparedStatement ps, int maxCount, Dialect dialect) throws SQLException {
        ps.setFetchSize(Math.min(maxCount, 1000));
        try (ResultSet rs = ps.executeQuery()) {
            return readAll(rs, dialect);
        }
    }

    /**
     * Reads every row of a statement that selects {@link #streamSelectList}: the events of stream
     * {@code streamId}.
     */
    static List<RecordedEvent> readStream(PreparedStatement ps, String streamId, int maxCount, Dialect dialect)
            throws SQLException {
        ps.setFetchSize(Math.min(maxCount, 1000));
        try (ResultSet rs = ps.executeQuery()) {
            return rows(rs, streamId, dialect);
        }
    }

    /** The events of {@code rs}, a result of a statement that selects {@link #selectList}. */
    static List<RecordedEvent> readAll(ResultSet rs, Dialect dialect) throws SQLException {
        return rows(rs, null, dialect);
    }

    /** The events of {@code rs}: of stream {@code streamId}, or of the stream each row names. */
    private static List<RecordedEvent> rows(ResultSet rs, @Nullable String streamId, Dialect dialect)
            throws SQLException {
        List<RecordedEvent> out = new ArrayList<>();
        Previous previous = new Previous();
        while (rs.next()) {
            String stream = streamId != null ? streamId : rs.getString(STREAM_ID.ordinal() + 1);
            out.add(read(rs, stream, dialect, previous));
        }
        return out;
    }

    /**
     * The metadata and tags of the row before, parsed: the events of one append carry the same,
     * and so do most neighbours in a page (the same writer, the same source). Parsing metadata was
     * an eighth of reading an event from SQLite; comparing the text with the previous row's and
     * sharing its map (immutable, which {@link RecordedEvent} keeps as it is) costs next to nothing.
     */
    private static final class Previous {
        private @Nullable String metadataJson;
        private Map<String, String> metadata = Map.of();
        private @Nullable String tagsJson;
        private Set<String> tags = Set.of();

        Map<String, String> metadata(@Nullable String json) {
            if (!Objects.equals(json, metadataJson)) {
                metadata = Json.metadata(json);
                metadataJson = json;
            }
            return metadata;
        }

        Set<String> tags(@Nullable String json) {
            if (!Objects.equals(json, tagsJson)) {
                tags = Tags.copyOf(Json.tags(json));
                tagsJson = json;
            }
            return tags;
        }
    }

    /** The row {@code rs} is on, an event of {@code streamId}. */
    private static RecordedEvent read(ResultSet rs, String streamId, Dialect dialect, Previous previous)
            throws SQLException {
        long version = rs.getLong(VERSION.ordinal() + 1);
        long position = rs.getLong(POSITION.ordinal() + 1);
        Map<String, String> metadata;
        Set<String> tags;
        try {
            metadata = previous.metadata(rs.getString(METADATA.ordinal() + 1));
            tags = previous.tags(rs.getString(TAGS.ordinal() + 1));
        } catch (EventStoreException e) {
            throw new EventStoreException(
                    "event of stream " + streamId + " at version " + version + " (position " + position + "): "
                            + e.getMessage(),
                    e);
        }
        return new RecordedEvent(
                streamId,
                version,
                position,
                dialect.eventId(rs, EVENT_ID.ordinal() + 1),
                rs.getString(TYPE.ordinal() + 1),
                rs.getString(DATA.ordinal() + 1),
                metadata,
                dialect.time(rs, RECORDED_AT.ordinal() + 1),
                tags);
    }
}
