-- The pinned snapshot of each truncated stream: its state just before the first event it still
-- holds, saved by the truncation that removed the events before it, in the same transaction.
-- Not a cache entry: snapshot saves and discards ({snapshots}) never touch this table; a further
-- truncation replaces the row and a deletion removes it. The ids of the removed events stay
-- reserved in {removed}, as those of a deleted stream do. A truncation takes the stream's lock
-- exclusively, as a deletion does (V5__stream_deletion.sql), so the two never interleave.
CREATE TABLE {pinned} (
    stream_id      text        PRIMARY KEY,
    version        bigint      NOT NULL,   -- the last version removed: the stream starts after it
    last_event_id  uuid        NOT NULL,   -- the id of the (removed) event at that version
    schema_version integer     NOT NULL,
    state          text        NOT NULL,
    taken_at       timestamptz NOT NULL
);
