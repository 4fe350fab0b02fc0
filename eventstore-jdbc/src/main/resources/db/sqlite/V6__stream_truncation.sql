-- The pinned snapshot of each truncated stream: its state just before the first event it still
-- holds, saved by the truncation that removed the events before it, in the same transaction.
-- Not a cache entry: snapshot saves and discards ({snapshots}) never touch this table; a further
-- truncation replaces the row and a deletion removes it. The ids of the removed events stay
-- reserved in {removed}, as those of a deleted stream do.
CREATE TABLE {pinned} (
    stream_id      TEXT    PRIMARY KEY,
    version        INTEGER NOT NULL,        -- the last version removed: the stream starts after it
    last_event_id  TEXT    NOT NULL,        -- the id of the (removed) event at that version
    schema_version INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    taken_at       INTEGER NOT NULL         -- microseconds since 1970-01-01T00:00:00Z
);
