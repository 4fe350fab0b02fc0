-- Deleted streams. A deletion removes a stream's events and writes a tombstone, type
-- $stream-deleted, at the next version: the stream's last event from then on, which every append
-- statement checks. The ids of removed events stay reserved here, and an insert of one of them
-- is refused, so that an append repeated after a deletion never stores its events twice.
CREATE TABLE {deleted} (
    stream_id TEXT    PRIMARY KEY,
    version   INTEGER NOT NULL,
    position  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE {removed} (
    event_id  TEXT    PRIMARY KEY,
    stream_id TEXT    NOT NULL,
    version   INTEGER NOT NULL,
    position  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TRIGGER {prefix}refuse_removed_ids BEFORE INSERT ON {events} WHEN EXISTS (SELECT 1 FROM {removed} WHERE event_id = NEW.event_id) BEGIN SELECT RAISE(ABORT, 'annals: the id of a removed event'); END;
