-- Dead letters: the events a projection parked instead of applying (its error policy parks
-- them), one row per projection and position. No copy of the payload: the event is in the log.
-- A row is written in the transaction of the batch that parks it, with the checkpoint's move
-- past it (whose row lock keeps two runners apart), and removed in the transaction that applies
-- it again (or by a skip). While a stream has a row here, its later events are parked behind
-- it: the index finds the held streams.
CREATE TABLE {dead_letters} (
    projection text        NOT NULL,
    position   bigint      NOT NULL,
    event_id   uuid        NOT NULL,
    stream_id  text        NOT NULL,
    type       text        NOT NULL,
    error      text        NOT NULL,
    parked_at  timestamptz NOT NULL,
    PRIMARY KEY (projection, position)
);

CREATE INDEX {prefix}dead_letters_streams ON {dead_letters} (projection, stream_id);
