-- The global log. position is the rowid: AUTOINCREMENT so that a position is never reused, even
-- if the newest rows were deleted by hand; writers are serialised, so positions commit in order.
CREATE TABLE {events} (
    position    INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id   TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version > 0),
    event_id    TEXT    NOT NULL,           -- UUID, canonical text form
    type        TEXT    NOT NULL,
    data        TEXT    NOT NULL,           -- the JSON payload, as appended
    metadata    TEXT,                       -- a JSON object of strings, NULL when empty
    recorded_at INTEGER NOT NULL,           -- microseconds since 1970-01-01T00:00:00Z
    -- the safety nets under the version check: no two events at one version, no id twice
    CONSTRAINT {prefix}events_stream_version UNIQUE (stream_id, version),
    CONSTRAINT {prefix}events_event_id UNIQUE (event_id)
);

-- The latest snapshot of each stream; only a cache, always checked against the events.
CREATE TABLE {snapshots} (
    stream_id      TEXT    PRIMARY KEY,
    version        INTEGER NOT NULL,
    last_event_id  TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    taken_at       INTEGER NOT NULL         -- microseconds since 1970-01-01T00:00:00Z
);
