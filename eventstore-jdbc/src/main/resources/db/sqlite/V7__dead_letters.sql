-- Dead letters: the events a projection parked instead of applying (its error policy parks
-- them), one row per projection and position. No copy of the payload: the event is in the log.
-- A row is written in the transaction of the batch that parks it, with the checkpoint's move
-- past it, and removed in the transaction that applies it again (or by a skip). While a stream
-- has a row here, its later events are parked behind it: the index finds the held streams.
CREATE TABLE {dead_letters} (
    projection TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    event_id   TEXT    NOT NULL,
    stream_id  TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    error      TEXT    NOT NULL,
    parked_at  INTEGER NOT NULL,            -- microseconds since 1970-01-01T00:00:00Z
    PRIMARY KEY (projection, position)
);

CREATE INDEX {prefix}dead_letters_streams ON {dead_letters} (projection, stream_id);
