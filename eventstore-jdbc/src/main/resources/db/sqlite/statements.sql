-- Every statement the store runs on SQLite, by name. {events}, {snapshots}, {checkpoints},
-- {rows} and {schema_version} stand for the tables with their prefix (annals_ by default),
-- {prefix} for the prefix alone and {event_columns} for the columns of an event in the order the
-- store reads them ({stream_event_columns}: the same, NULL for the stream id). A list parameter
-- (ids, keys, values) is bound as one JSON array of strings and read with json_each, so that no
-- statement text depends on the number of items.
-- Full-line comments are dropped when the file is loaded.

-- name: create-schema-version-table
CREATE TABLE IF NOT EXISTS {schema_version} (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    checksum    TEXT    NOT NULL,
    applied_at  TEXT    NOT NULL
)

-- name: table-exists
-- 1 the table's name
SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?

-- name: read-schema-versions
SELECT version, description, checksum FROM {schema_version} ORDER BY version

-- name: record-migration
INSERT INTO {schema_version} (version, description, checksum, applied_at) VALUES (?, ?, ?, ?)

-- name: append-one
-- One event in one statement: the version check and the insert. Inserts nothing when the
-- stream's version is not between the bounds, or when the stream was deleted. 1 stream id, 2 stream id, 3 event id, 4 type,
-- 5 data, 6 metadata, 7 recorded at (microseconds), 8 lowest and 9 highest accepted version.
INSERT INTO {events} (stream_id, version, event_id, type, data, metadata, recorded_at)
SELECT ?2, cur.v + 1, ?3, ?4, ?5, ?6, ?7
FROM (SELECT COALESCE(h.version, 0) AS v, h.type AS t
      FROM (SELECT 1) AS one
      LEFT JOIN (SELECT version, type FROM {events} WHERE stream_id = ?1
                 ORDER BY version DESC LIMIT 1) AS h ON true) AS cur
WHERE cur.v BETWEEN ?8 AND ?9 AND cur.t IS NOT '$stream-deleted'
RETURNING position, version

-- name: insert-event
-- One event of an append in a write transaction that checked the version first.
INSERT INTO {events} (stream_id, version, event_id, type, data, metadata, recorded_at)
VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: insert-tagged-event
-- One event of an append across streams (or with tags), in a write transaction that checked the
-- versions and the condition first. 1 stream id, 2 version, 3 event id, 4 type, 5 data,
-- 6 metadata, 7 recorded at (microseconds), 8 tags (a JSON array, or NULL).
INSERT INTO {events} (stream_id, version, event_id, type, data, metadata, recorded_at, tags)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
RETURNING position

-- name: insert-tags
-- The tags of one event, each a row of {tags}: 1 its position, 2 its tags (a JSON array).
INSERT INTO {tags} (tag, position) SELECT value, ?1 FROM json_each(?2)

-- name: last-position
SELECT last_insert_rowid()

-- name: find-event-ids
-- 1 the ids, a list
SELECT event_id, stream_id, version, position FROM {events}
WHERE event_id IN (SELECT value FROM json_each(?))

-- name: read-stream
-- The stream id is the caller's: NULL in its column ({stream_event_columns}).
SELECT {stream_event_columns} FROM {events}
WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?

-- name: read-all
-- Writers are serialised and positions are allocated in commit order: nothing can appear later
-- below a position a reader has seen, so the horizon (2) is always the end of the log.
-- 1 after this position, 2 below this one, 3 at most this many
SELECT {event_columns} FROM {events}
WHERE position > ? AND position < ? ORDER BY position LIMIT ?

-- name: count-events
SELECT count(*) FROM {events}

-- name: log-end
-- The end of the log, visible to readers or not yet, for the lag of projections: the primary
-- key's last entry (0 for an empty log).
SELECT coalesce(max(position), 0) FROM {events}

-- name: database-identity
-- Which database file this is, whatever the URL that named it (a copy refuses to write into the
-- store it reads), and the schema: none on SQLite.
SELECT file, '' FROM pragma_database_list WHERE name = 'main'

-- name: load-snapshot
SELECT version, last_event_id, schema_version, state, taken_at FROM {snapshots} WHERE stream_id = ?

-- name: save-snapshot
-- Never moves a snapshot backwards: concurrent savers keep the newest. Saves nothing for a
-- deleted stream (a repository that loaded it before the deletion must not bring its state back).
INSERT INTO {snapshots} (stream_id, version, last_event_id, schema_version, state, taken_at)
SELECT ?1, ?2, ?3, ?4, ?5, ?6
WHERE NOT EXISTS (SELECT 1 FROM {deleted} WHERE stream_id = ?1)
ON CONFLICT (stream_id) DO UPDATE SET
    version = excluded.version, last_event_id = excluded.last_event_id,
    schema_version = excluded.schema_version, state = excluded.state,
    taken_at = excluded.taken_at
WHERE excluded.version >= {snapshots}.version

-- name: discard-snapshot
-- Only the snapshot the caller read: a newer one saved meanwhile stays.
DELETE FROM {snapshots} WHERE stream_id = ? AND version = ? AND last_event_id = ?

-- name: read-checkpoint
SELECT position FROM {checkpoints} WHERE projection = ?

-- name: move-checkpoint
-- The compare-and-set of a batch: 1 the new position, 2 the projection, 3 the expected one.
-- Returns the checkpoint's count of repairs (changes made outside the batches), or no row.
UPDATE {checkpoints} SET position = ? WHERE projection = ? AND position = ? RETURNING repairs

-- name: create-checkpoint
-- A projection's first batch: 1 the projection, 2 its new position. Inserts nothing (and the
-- batch then fails its compare-and-set) when another runner created the row first.
INSERT INTO {checkpoints} (projection, position) VALUES (?, ?)
ON CONFLICT (projection) DO NOTHING RETURNING repairs

-- name: reset-checkpoint
-- A reset counts as a repair: a replay back to the same position may have written other rows (a
-- parked event applied again is now applied in its place) than a projector kept.
UPDATE {checkpoints} SET position = 0, repairs = repairs + 1 WHERE projection = ?

-- name: count-checkpoint-repair
-- A change of the read model outside the batches (a parked event applied again), first in its
-- transaction: 1 the projection. Resets count too (reset-checkpoint).
UPDATE {checkpoints} SET repairs = repairs + 1 WHERE projection = ?

-- name: checkpoints-under
-- The checkpoints past 0 whose names begin with a text: 1 its length, 2 the text.
SELECT projection, position FROM {checkpoints} WHERE substr(projection, 1, ?) = ? AND position > 0

-- name: read-rows
-- 1 the projection, 2 the keys, a list
SELECT key, value FROM {rows}
WHERE projection = ? AND key IN (SELECT value FROM json_each(?))

-- name: upsert-row
-- One row, a statement of a JDBC batch (SQLiteDialect.upsertsRowsOneByOne): 1 the projection,
-- 2 the key, 3 the value. Bound as two JSON lists instead, the keys and values cost writing each
-- value into a JSON array and parsing it back, and joining the two lists on their index.
INSERT INTO {rows} (projection, key, value) VALUES (?, ?, ?)
ON CONFLICT (projection, key) DO UPDATE SET value = excluded.value

-- name: delete-rows
-- 1 the projection, 2 the keys, a list
DELETE FROM {rows} WHERE projection = ? AND key IN (SELECT value FROM json_each(?))

-- name: delete-all-rows
DELETE FROM {rows} WHERE projection = ?

-- name: get-row
-- The row of the version in service: the key it is stored under is read in the same statement,
-- so a blue-green switch committing meanwhile is seen whole or not at all. 1 and 2 the
-- projection, 3 the key.
SELECT value FROM {rows} WHERE projection = COALESCE((SELECT live_key FROM {versions} WHERE projection = ?), ?) AND key = ?

-- name: list-rows
-- As get-row: 1 and 2 the projection, 3 the limit, 4 the offset.
SELECT key, value FROM {rows} WHERE projection = COALESCE((SELECT live_key FROM {versions} WHERE projection = ?), ?) ORDER BY key LIMIT ? OFFSET ?

-- name: set-tags
-- Tags stored events after the fact (TagBackfill): 1 the event's tags, all of them (a JSON array),
-- 2 its position.
UPDATE {events} SET tags = ? WHERE position = ?

-- name: add-tags
-- 1 the position, 2 the tags to add (a list); those it has already are kept.
INSERT OR IGNORE INTO {tags} (tag, position) SELECT value, ?1 FROM json_each(?2)

-- name: in-list
-- Not a statement: how a query by tags and types (QuerySql) compares a column with a list
-- parameter, bound as one JSON array: one statement whatever the number of values.
 IN (SELECT value FROM json_each(?))

-- name: stream-head
-- The stream's last event: its version, type (a tombstone when the stream was deleted) and
-- position. No row for a stream that never existed.
SELECT version, type, position FROM {events} WHERE stream_id = ? ORDER BY version DESC LIMIT 1

-- name: find-removed-ids
-- Which of these ids belonged to events removed from the log (deleted or truncated streams):
-- they stay reserved. 1 the ids, a list.
SELECT event_id, stream_id, version, position FROM {removed}
WHERE event_id IN (SELECT value FROM json_each(?))

-- name: lock-stream-for-deletion
-- Writers take turns on SQLite: nothing to lock. 1 the stream.
SELECT ? IS NOT NULL

-- name: record-deletion
-- 1 the stream, 2 its tombstone's version, 3 its position.
INSERT INTO {deleted} (stream_id, version, position) VALUES (?, ?, ?)

-- name: remove-stream-events
-- A deletion, after its tombstone, or a truncation: the stream's events up to 2 (its version
-- before the tombstone, or the last version before the cut) are removed, their ids kept
-- reserved, their tags dropped (and a deletion's snapshots). Three statements, the same for both.
INSERT INTO {removed} (event_id, stream_id, version, position)
SELECT event_id, stream_id, version, position FROM {events} WHERE stream_id = ? AND version <= ?

-- name: remove-stream-tags
DELETE FROM {tags} WHERE position IN (SELECT position FROM {events} WHERE stream_id = ? AND version <= ?)

-- name: remove-stream-rows
DELETE FROM {events} WHERE stream_id = ? AND version <= ?

-- name: remove-stream-snapshot
DELETE FROM {snapshots} WHERE stream_id = ?

-- name: remove-pinned-snapshot
-- A deletion drops the pinned snapshot of a truncated stream with its events. 1 the stream.
DELETE FROM {pinned} WHERE stream_id = ?

-- name: load-pinned-snapshot
-- The pinned snapshot of a truncated stream; no row for one never truncated. 1 the stream.
SELECT version, last_event_id, schema_version, state, taken_at FROM {pinned} WHERE stream_id = ?

-- name: count-pinned-snapshots
-- How many streams were truncated: a store copy refuses a source that holds any.
SELECT count(*) FROM {pinned}

-- name: event-id-at-version
-- The id of the stream's event at a version, which a truncation's pinned snapshot must end at.
-- 1 the stream, 2 the version.
SELECT event_id FROM {events} WHERE stream_id = ? AND version = ?

-- name: pin-snapshot
-- A truncation, after it removed the events up to the snapshot's version (with remove-stream-events,
-- remove-stream-tags and remove-stream-rows): the state at that version replaces the pinned one.
-- 1 the stream, 2 the version, 3 the last event's id, 4 the schema version, 5 the state, 6 taken
-- at (microseconds).
INSERT INTO {pinned} (stream_id, version, last_event_id, schema_version, state, taken_at)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (stream_id) DO UPDATE SET
    version = excluded.version, last_event_id = excluded.last_event_id,
    schema_version = excluded.schema_version, state = excluded.state,
    taken_at = excluded.taken_at

-- name: drop-snapshots-before
-- A truncation drops the cache snapshot that ends before its cut: the event it ends at is gone,
-- so it could never be used. 1 the stream, 2 the first version kept.
DELETE FROM {snapshots} WHERE stream_id = ? AND version < ?

-- name: removed-ids-of-stream
-- The ids a deletion of the stream removed, for a store copy to keep them reserved. 1 the stream.
SELECT event_id, version FROM {removed} WHERE stream_id = ? ORDER BY version

-- name: reserve-id
-- A store copy keeps an id its source removed reserved: 1 the id, 2 its stream, 3 its version
-- there, 4 the position of the copy's tombstone.
INSERT OR IGNORE INTO {removed} (event_id, stream_id, version, position) VALUES (?, ?, ?, ?)

-- name: live-subject-key
-- The subject's newest key that is not forgotten. 1 the subject
SELECT data_key_id, wrapping_key_id, wrapped, created_at FROM {subject_keys}
WHERE subject = ? AND wrapped IS NOT NULL
ORDER BY created_at DESC, data_key_id DESC LIMIT 1

-- name: find-subject-key
-- 1 the subject, 2 the data key's id
SELECT data_key_id, wrapping_key_id, wrapped, created_at FROM {subject_keys}
WHERE subject = ? AND data_key_id = ?

-- name: insert-subject-key
-- 1 subject, 2 data key id, 3 wrapping key id, 4 wrapped, 5 created at (microseconds)
INSERT INTO {subject_keys} (subject, data_key_id, wrapping_key_id, wrapped, created_at)
VALUES (?, ?, ?, ?, ?)

-- name: forget-subject-keys
-- 1 forgotten at (microseconds), 2 the subject
UPDATE {subject_keys} SET wrapped = NULL, forgotten_at = coalesce(forgotten_at, ?1)
WHERE subject = ?2

-- name: count-subject-keys
SELECT count(*) FROM {subject_keys} WHERE subject = ?

-- name: keys-wrapped-by-other
-- 1 the current wrapping key's id, 2 at most this many
SELECT subject, data_key_id, wrapping_key_id, wrapped, created_at FROM {subject_keys}
WHERE wrapped IS NOT NULL AND wrapping_key_id <> ?
ORDER BY subject, data_key_id LIMIT ?

-- name: rewrap-subject-key
-- Unless it changed since it was read: 1 the new wrapping key's id, 2 the new wrapped bytes,
-- 3 subject, 4 data key id, 5 the old wrapping key's id, 6 the old wrapped bytes
UPDATE {subject_keys} SET wrapping_key_id = ?, wrapped = ?
WHERE subject = ? AND data_key_id = ? AND wrapping_key_id = ? AND wrapped = ?

-- name: insert-dead-letter
-- 1 the projection, 2 position, 3 event id, 4 stream id, 5 type, 6 error, 7 parked at (microseconds)
INSERT INTO {dead_letters} (projection, position, event_id, stream_id, type, error, parked_at)
VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: list-dead-letters
SELECT position, event_id, stream_id, type, error, parked_at FROM {dead_letters}
WHERE projection = ? ORDER BY position

-- name: held-streams
-- The streams of a projection that have a dead letter, among 2 these streams (a list).
SELECT DISTINCT stream_id FROM {dead_letters}
WHERE projection = ? AND stream_id IN (SELECT value FROM json_each(?))

-- name: delete-dead-letter
DELETE FROM {dead_letters} WHERE projection = ? AND position = ?

-- name: delete-dead-letters
DELETE FROM {dead_letters} WHERE projection = ?

-- name: read-version
-- A projection's generation in service, checked by each batch after its compare-and-set, so that
-- a projector of a version that was replaced never writes again.
-- 1 the projection.
SELECT generation, live_key FROM {versions} WHERE projection = ?

-- name: lock-version
-- The version in service, read by a switch before it moves it. 1 the projection.
SELECT generation, live_key FROM {versions} WHERE projection = ?

-- name: insert-version
-- Generation 0, before the first build of a projection: 1 the projection, 2 its name as key.
INSERT INTO {versions} (projection, generation, live_key) VALUES (?, 0, ?)
ON CONFLICT (projection) DO NOTHING

-- name: switch-version
-- 1 the new generation, 2 its key, 3 the projection, 4 the generation it replaces.
UPDATE {versions} SET generation = ?, live_key = ? WHERE projection = ? AND generation = ?

-- name: lock-checkpoint
-- The checkpoint of the version in service, read by a switch. 1 the key.
SELECT position FROM {checkpoints} WHERE projection = ?

-- name: delete-checkpoint
DELETE FROM {checkpoints} WHERE projection = ?

-- name: category-of
-- Not a statement: the category of an event's stream (its id up to the first '-'), word for word
-- the expression of the index events_category_position, which a read by category scans.
(CASE WHEN instr(stream_id, '-') > 0 THEN substr(stream_id, 1, instr(stream_id, '-') - 1) ELSE stream_id END)
