-- Positions follow transaction ids, so that a reader can tell which events are final.
--
-- A sequence value is taken at insert but becomes visible at commit, so sequence positions
-- commit out of order and a reader that moves its checkpoint past an uncommitted position skips
-- it forever. Here the position of an event is (transaction id + xid_offset) * 2^{index_bits} + its index
-- in the append: positions are allocated in transaction-id order, and a reader returns only
-- events whose transaction id is below the oldest append still running (read-horizon in
-- statements.sql), so nothing can appear later below what it returned.
-- xid_offset stays 0 unless the database was restored into a cluster whose transaction ids are
-- lower than those that wrote the events (pg_dump/pg_restore): the store then raises it at
-- start-up so that new positions stay above the old ones. See docs/storage.md.
CREATE TABLE {log} (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    xid_offset bigint  NOT NULL
);
INSERT INTO {log} (id, xid_offset) VALUES (true, 0);

CREATE TABLE {events} (
    position    bigint      PRIMARY KEY,
    stream_id   text        NOT NULL,
    version     bigint      NOT NULL CHECK (version > 0),
    event_id    uuid        NOT NULL,
    type        text        NOT NULL,
    -- json, not jsonb: the payload as appended, which every store gives back as it is; jsonb
    -- would print numbers, keys and spaces its own way (the store checked the JSON already)
    data        json        NOT NULL,
    metadata    json,
    recorded_at timestamptz NOT NULL,
    -- the safety nets under the version check: no two events at one version, no id twice
    CONSTRAINT {prefix}events_stream_version UNIQUE (stream_id, version),
    CONSTRAINT {prefix}events_event_id UNIQUE (event_id)
);

-- The latest snapshot of each stream; only a cache, always checked against the events.
CREATE TABLE {snapshots} (
    stream_id      text        PRIMARY KEY,
    version        bigint      NOT NULL,
    last_event_id  uuid        NOT NULL,
    schema_version integer     NOT NULL,
    state          text        NOT NULL,
    taken_at       timestamptz NOT NULL
);
