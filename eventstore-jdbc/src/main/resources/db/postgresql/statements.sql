-- Every statement the store runs on PostgreSQL, by name. {events}, {snapshots}, {checkpoints},
-- {rows}, {log} and {schema_version} stand for the tables with their prefix (annals_ by default)
-- and, when one is configured, their schema; {prefix} for the prefix alone; {schema} for the
-- configured schema; {event_columns} for the columns of an event in the order the store reads
-- them ({stream_event_columns}: the same, NULL for the stream id); {index_bits} for the bits of a
-- position that hold an event's index in its transaction, {index_scale} for 2^{index_bits},
-- {index_base} for the index an append counts on from (see
-- index-in-transaction). A list parameter (ids, keys, values) is bound as one array, so that no statement text and no plan
-- depends on the number of items. Lock keys come sorted in ascending order, each once, and
-- unnest reads an array out in its storage order: the statements take their locks in that order
-- without sorting them again (a sort node, even of one key, took a one-event append about 35 µs
-- longer on the server, a sixth of its statement). Full-line comments are dropped when the file
-- is loaded.

-- name: create-schema
CREATE SCHEMA IF NOT EXISTS {schema}

-- name: lock-migrations
-- Two processes opening a new database at once: the second waits here, then sees the version.
-- Taken before CREATE SCHEMA, which races with itself across sessions, so keyed by the schema
-- alone (stores of every prefix in it take turns). A collision of the hash costs only a wait.
-- 1 the schema.
SELECT pg_advisory_xact_lock(hashtext(?))

-- name: schema-exists
-- 1 the schema
SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname = ?

-- name: create-schema-version-table
CREATE TABLE IF NOT EXISTS {schema_version} (
    version     integer PRIMARY KEY,
    description text    NOT NULL,
    checksum    text    NOT NULL,
    applied_at  text    NOT NULL
)

-- name: table-exists
-- 1 the schema (NULL: the current one), 2 the table's name
SELECT count(*) FROM pg_catalog.pg_tables
WHERE schemaname = COALESCE(?, current_schema()) AND tablename = ?

-- name: read-schema-versions
SELECT version, description, checksum FROM {schema_version} ORDER BY version

-- name: record-migration
INSERT INTO {schema_version} (version, description, checksum, applied_at) VALUES (?, ?, ?, ?)

-- name: append-one
-- One event in one auto-committed statement: the CTE reads the stream's version and the INSERT
-- inserts nothing when it is not between the bounds, or when the stream was deleted (its last
-- event is the tombstone). Two writers that pass the check at once
-- collide on the unique (stream_id, version): the second waits for the first to commit, then
-- fails with 23505. The position follows the transaction id (see V1__events_and_snapshots.sql);
-- the offset is read by a scalar subquery rather than joined: a join with the one-row log table
-- (estimated at thousands of rows until analysed) made the generic plan look expensive, so
-- PostgreSQL planned every append again (a third of an append). The position is computed in
-- numeric and cast back, so that a transaction id past 2^43 (with the offset) makes the cast
-- fail, before anything commits, rather than wrap around into a position readers never reach.
-- The append first takes the shared lock of its event's type (lock-keys says why), before its
-- insert: the join reads the one-row CTE, and so takes the lock, before it hands the INSERT its
-- row. One key, so no list to unnest and count.
-- Only in read committed: a session above it (an application's pool at repeatable read) reads
-- the stream's version, and the events' trigger reads the deleted streams, in the snapshot the
-- statement took before it waited for a lock or a version, so an append could land at a version
-- a deletion removed meanwhile, after its tombstone. There it inserts nothing, and the store
-- runs it again in a transaction set to read committed (Appender.refused).
-- 1 the lock space, 2 the type's key, 3 stream id, 4 stream id,
-- 5 event id, 6 type, 7 data, 8 metadata, 9 recorded at (microseconds), 10 lowest and 11 highest
-- accepted version.
WITH locked AS (
    SELECT pg_advisory_xact_lock_shared(?, ?) AS n
), cur AS (
    SELECT COALESCE(h.version, 0) AS v, h.type AS t
    FROM (SELECT 1) AS one
    LEFT JOIN (SELECT version, type FROM {events} WHERE stream_id = ?
               ORDER BY version DESC LIMIT 1) AS h ON true
)
INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at)
SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + {index_base} + 1,
       ?, cur.v + 1, ?, ?, ?::json, ?::json,
       'epoch'::timestamptz + ? * interval '1 microsecond'
FROM cur, locked
WHERE cur.v BETWEEN ? AND ? AND cur.t IS DISTINCT FROM '$stream-deleted'
  AND pg_catalog.current_setting('transaction_isolation') = 'read committed'
RETURNING position, version

-- name: append-many
-- append-one for several events, their fields as lists: 1 the lock space, 2 the types' keys,
-- 3 stream id, 4 stream id, 5 recorded at (microseconds), 6 event ids, 7 types, 8 data,
-- 9 metadata, 10 lowest and 11 highest accepted version.
WITH locked AS (
    SELECT count(pg_advisory_xact_lock_shared(?, k.key)::text) AS n
    FROM unnest(?::int[]) AS k(key)
), cur AS (
    SELECT COALESCE(h.version, 0) AS v, h.type AS t
    FROM (SELECT 1) AS one
    LEFT JOIN (SELECT version, type FROM {events} WHERE stream_id = ?
               ORDER BY version DESC LIMIT 1) AS h ON true
)
INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at)
SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + {index_base} + e.n,
       ?, cur.v + e.n, e.id, e.type, e.data::json, e.meta::json,
       'epoch'::timestamptz + ? * interval '1 microsecond'
FROM cur, locked,
     unnest(?::uuid[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS e(id, type, data, meta, n)
WHERE cur.v BETWEEN ? AND ? AND cur.t IS DISTINCT FROM '$stream-deleted'
  AND pg_catalog.current_setting('transaction_isolation') = 'read committed'
RETURNING position, version

-- name: append-tagged
-- append-many for the events of one stream with tags, and no condition: each tag also a row of
-- {tags}. The shared locks are those of the events' types and of their tags (lock-keys says why
-- an event takes them), taken in the statement before its insert, as in append-one: an append
-- without a condition reads nothing that another append's locks protect, and a condition that
-- holds one of these keys exclusively makes this statement wait before it inserts, then comes
-- after it in the log. 1 the lock space, 2 the keys (an int[]), 3 stream id, 4 stream id,
-- 5 recorded at (microseconds), 6 event ids, 7 types, 8 data, 9 metadata, 10 tags (JSON arrays
-- or NULL), 11 lowest and 12 highest accepted version.
WITH locked AS (
    SELECT count(pg_advisory_xact_lock_shared(?, k.key)::text) AS n
    FROM unnest(?::int[]) AS k(key)
), cur AS (
    SELECT COALESCE(h.version, 0) AS v, h.type AS t
    FROM (SELECT 1) AS one
    LEFT JOIN (SELECT version, type FROM {events} WHERE stream_id = ?
               ORDER BY version DESC LIMIT 1) AS h ON true
), inserted AS (
    INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at, tags)
    SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + {index_base} + e.n,
           ?, cur.v + e.n, e.id, e.type, e.data::json, e.meta::json,
           'epoch'::timestamptz + ? * interval '1 microsecond', e.tags::json
    FROM cur, locked,
         unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS e(id, type, data, meta, tags, n)
    WHERE cur.v BETWEEN ? AND ? AND cur.t IS DISTINCT FROM '$stream-deleted'
      AND pg_catalog.current_setting('transaction_isolation') = 'read committed'
    RETURNING position, version, tags
), tagged AS (
    INSERT INTO {tags} (tag, position)
    SELECT t.tag, inserted.position
    FROM inserted, json_array_elements_text(inserted.tags) AS t(tag)
    WHERE inserted.tags IS NOT NULL
)
SELECT position, version FROM inserted

-- name: append-group
-- Appends of one event each, to streams of their own, that arrived together (AppendGroups): one
-- auto-committed statement, so one transaction, one commit and one WAL flush for all of them.
-- Each keeps append-one's checks, per row: a row whose stream is not at an accepted version, or
-- was deleted, is left out, and so is one whose version or id another append took meanwhile
-- (ON CONFLICT DO NOTHING: one row per append, so an append is written whole or not at all, and
-- one that fails never fails the others). The appends left out go again alone, where they
-- meet the same checks and their errors. The shared locks of all their events' types first, in
-- ascending order, as in append-one; rows are inserted in the order given (Java's order of the
-- stream ids, as appends across streams take them), so that two groups never wait for each
-- other's versions in a circle. Positions follow the order given.
-- 1 the lock space, 2 the types' keys (an int[]), 3 stream ids, 4 event ids, 5 types, 6 data,
-- 7 metadata, 8 lowest and 9 highest accepted versions, 10 recorded at (microseconds): lists, one
-- entry per append.
WITH locked AS (
    SELECT count(pg_advisory_xact_lock_shared(?, k.key)::text) AS n
    FROM unnest(?::int[]) AS k(key)
), m AS (
    SELECT m.*, COALESCE(h.version, 0) AS v, h.type AS t
    FROM unnest(?::text[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::int8[], ?::int8[], ?::int8[])
             WITH ORDINALITY AS m(sid, id, type, data, meta, lo, hi, at, n)
    LEFT JOIN LATERAL (SELECT e.version, e.type FROM {events} e WHERE e.stream_id = m.sid
                       ORDER BY e.version DESC LIMIT 1) AS h ON true
)
INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at)
SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + {index_base} + m.n,
       m.sid, m.v + 1, m.id, m.type, m.data::json, m.meta::json,
       'epoch'::timestamptz + m.at * interval '1 microsecond'
FROM m, locked
WHERE m.v BETWEEN m.lo AND m.hi AND m.t IS DISTINCT FROM '$stream-deleted'
  AND pg_catalog.current_setting('transaction_isolation') = 'read committed'
ORDER BY m.n
ON CONFLICT DO NOTHING
RETURNING position, version, stream_id

-- name: insert-events
-- The events of one stream in an append across streams (or with tags), in a transaction that
-- took its locks (lock-keys) and checked its condition: append-many with the tags, each tag also
-- a row of {tags}, and the index of the first event given (the parts of one transaction number
-- their events one after the other, in the order of the call, whatever the order they are
-- inserted in). 1 stream id, 2 the index before the part's first event, 3 stream id, 4 recorded
-- at (microseconds), 5 event ids, 6 types, 7 data, 8 metadata, 9 tags (JSON arrays or NULL),
-- 10 lowest and 11 highest accepted version.
WITH cur AS (
    SELECT COALESCE(h.version, 0) AS v, h.type AS t
    FROM (SELECT 1) AS one
    LEFT JOIN (SELECT version, type FROM {events} WHERE stream_id = ?
               ORDER BY version DESC LIMIT 1) AS h ON true
), base AS (
    SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + ? AS p
), inserted AS (
    INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at, tags)
    SELECT base.p + e.n, ?, cur.v + e.n, e.id, e.type, e.data::json, e.meta::json,
           'epoch'::timestamptz + ? * interval '1 microsecond', e.tags::json
    FROM cur, base,
         unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[])
             WITH ORDINALITY AS e(id, type, data, meta, tags, n)
    WHERE cur.v BETWEEN ? AND ? AND cur.t IS DISTINCT FROM '$stream-deleted'
    RETURNING position, version, tags
), tagged AS (
    INSERT INTO {tags} (tag, position)
    SELECT t.tag, inserted.position
    FROM inserted, json_array_elements_text(inserted.tags) AS t(tag)
    WHERE inserted.tags IS NOT NULL
)
SELECT position, version FROM inserted

-- name: checked-append-table-lock
-- Not a statement: what an append's round trip puts before lock-keys with generic-plan (see
-- there), so that it takes the events table's ROW EXCLUSIVE lock before its keys, as every other
-- append does: a condition that locks the table (begin-for-condition) takes its events' keys
-- after it, and a round trip that held one of those keys while it waited for the table would
-- wait for it in a circle. LOCK TABLE is refused outside a transaction block: an INSERT of no
-- row takes the same lock, when its statement starts, and gives the transaction no id.
WITH table_lock AS (INSERT INTO {events} SELECT * FROM {events} WHERE false)

-- name: generic-plan
-- Not a statement: the column that an append's round trip adds to lock-keys (PostgresDialect's
-- checkedAppendLocks), which makes append-checked's plan the generic one for this transaction.
-- An append across streams (or with tags, or a condition) outside a projection batch sends
-- lock-keys with this column (after checked-append-table-lock) and append-checked together: they
-- run as one implicit transaction that commits after the last, or rolls back at the first
-- error, and in read committed each takes a snapshot of its own when it starts, so
-- append-checked reads after the locks were granted. The transaction gets its id in
-- append-checked's INSERT, as append-one does.
-- Its cost hardly depends on the values, but the planner estimates a parameter's unnest at 100
-- rows against the 1 of a literal array, so it never found the generic plan cheaper and planned
-- the statement again for every append (measured: about 0.5 ms of an append of 1.3 ms).
pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true)

-- name: append-checked
-- Then, in one statement: each part's head and the condition's first match, read in this
-- statement's snapshot, and the events, inserted only when the transaction runs in read
-- committed (in a stricter level, set as the session's default, this snapshot would be the
-- locks' statement's, taken before they were granted: the store then appends in a transaction
-- of its own instead), every part's version is between its bounds, no part's stream was
-- deleted and nothing matches the condition ({condition_match}, no
-- match without a condition, replaced by the condition's first-match query). Otherwise it inserts
-- nothing, and its rows say why. Events are numbered in the order of the call and inserted in the
-- order of their streams: two appends across the same streams never wait for each other's
-- versions in a circle. One row per part, in order: the part's head version, whether its stream
-- was deleted, the condition's first match (0 for none), the version and position of its last
-- event inserted (NULL when nothing was), and whether the transaction runs in read committed.
-- 1 stream ids, 2 lowest and 3 highest accepted versions, 4 the rank of the stream id in the
-- order the store inserts streams in (Java's, whatever the database's collation), one per part;
-- then the condition's parameters; then recorded at (microseconds), and per event: its part
-- (from 1), its index in the part (from 1), id, type, data, metadata and tags (JSON arrays or
-- NULL).
WITH parts AS (
    SELECT p.i, p.sid, p.lo, p.hi, p.rank, COALESCE(h.version, 0) AS v, h.type AS t
    FROM unnest(?::text[], ?::bigint[], ?::bigint[], ?::int[]) WITH ORDINALITY AS p(sid, lo, hi, rank, i)
    LEFT JOIN LATERAL (SELECT version, type FROM {events} WHERE stream_id = p.sid
                       ORDER BY version DESC LIMIT 1) AS h ON true
), conflict AS (
    SELECT COALESCE((SELECT m.position FROM ({condition_match}) AS m LIMIT 1), 0) AS at
), level AS (
    SELECT pg_catalog.current_setting('transaction_isolation') = 'read committed' AS fresh
), go AS (
    SELECT bool_and(parts.v BETWEEN parts.lo AND parts.hi AND parts.t IS DISTINCT FROM '$stream-deleted')
           AND (SELECT at FROM conflict) = 0 AND (SELECT fresh FROM level) AS ok
    FROM parts
), inserted AS (
    INSERT INTO {events} (position, stream_id, version, event_id, type, data, metadata, recorded_at, tags)
    SELECT ((pg_current_xact_id()::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale})::bigint + e.n,
           parts.sid, parts.v + e.k, e.id, e.type, e.data::json, e.meta::json,
           'epoch'::timestamptz + ? * interval '1 microsecond', e.tags::json
    FROM go,
         unnest(?::int[], ?::int[], ?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[])
             WITH ORDINALITY AS e(part, k, id, type, data, meta, tags, n)
         JOIN parts ON parts.i = e.part
    WHERE go.ok
    ORDER BY parts.rank, e.k
    RETURNING stream_id, position, version, tags
), tagged AS (
    INSERT INTO {tags} (tag, position)
    SELECT t.tag, inserted.position
    FROM inserted, json_array_elements_text(inserted.tags) AS t(tag)
    WHERE inserted.tags IS NOT NULL
)
SELECT parts.i, parts.v, parts.t IS NOT DISTINCT FROM '$stream-deleted', (SELECT at FROM conflict),
       max(inserted.version), max(inserted.position), (SELECT fresh FROM level)
FROM parts LEFT JOIN inserted ON inserted.stream_id = parts.sid
GROUP BY parts.i, parts.v, parts.t
ORDER BY parts.i

-- name: current-index-base
-- The index after which an append across streams numbers its events: {index_base}, 0 outside a
-- projection batch.
SELECT {index_base}

-- name: begin-for-condition
-- First in an append whose condition matches every event (an item without types and tags): it
-- must wait for every append in flight and hold the next ones back until it commits, which is
-- what this lock does (it conflicts with the ROW EXCLUSIVE every insert takes, and with itself).
-- Read committed, as in lock-events-for-append.
SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
LOCK TABLE {events} IN SHARE ROW EXCLUSIVE MODE

-- name: lock-events-for-condition
-- begin-for-condition in a projection batch, whose transaction has begun.
LOCK TABLE {events} IN SHARE ROW EXCLUSIVE MODE

-- name: lock-keys
-- The locks of an append with a condition, or with tags, taken before it reads or writes
-- anything: exclusive ones for what its condition reads, shared ones for what its events are
-- (their type and each tag), every key once, the strongest mode, in ascending order (as the
-- store sends them) so that two appends never wait for each other in a circle. Keys are 32-bit
-- hashes of a type or a tag in a space of the store's own (advisory locks of two int4 keys never
-- meet the one-bigint keys of leases); see docs/consistency.md for why a condition cannot miss a
-- concurrent event.
-- 1 and 2 the lock space, 3 the keys (int[]), 4 whether each is exclusive (boolean[]).
SELECT count(CASE WHEN k.exclusive THEN pg_advisory_xact_lock(?, k.key)::text
                  ELSE pg_advisory_xact_lock_shared(?, k.key)::text END)
FROM unnest(?::int[], ?::boolean[]) AS k(key, exclusive)

-- name: index-in-transaction
-- Not a statement: {index_base} of append-one and append-many inside a projection batch, whose
-- transaction may have appended already (elsewhere it is 0: a transaction of its own appends
-- once). The index of the last event this transaction appended, read from its highest position,
-- so that two appends of one transaction never number their events alike. The store refuses a
-- batch's append that would go past the highest index.
COALESCE((SELECT e.position % {index_scale} FROM {events} e
          WHERE e.position > ((pg_current_xact_id()::text::numeric
                               + (SELECT xid_offset FROM {log})) * {index_scale})::bigint
            AND e.position < ((pg_current_xact_id()::text::numeric
                               + (SELECT xid_offset FROM {log}) + 1) * {index_scale})::bigint
          ORDER BY e.position DESC LIMIT 1), 0)

-- name: lock-events-for-append
-- First in the transaction of a projection batch that may append: a reader's horizon counts
-- the transactions that hold this lock, and this one gets its transaction id (moving its
-- checkpoint) before its first INSERT would take the lock. Taken first, the lock is held before
-- the id exists, as in an append's own transaction. Read committed whatever the session's
-- default: an any() append that lost a race for a version goes again on what committed since,
-- which a repeatable-read snapshot would never show. Two statements, sent in one round trip.
SET TRANSACTION ISOLATION LEVEL READ COMMITTED;
LOCK TABLE {events} IN ROW EXCLUSIVE MODE

-- name: name-batch
-- Then: the batch's session shows as "annals projection <name>" until it ends (in pg_stat_activity
-- and in the holder the read horizon names). 1 the name.
SELECT pg_catalog.set_config('application_name', ?, true)

-- name: read-committed
-- First in the transaction an append takes when the session runs above read committed.
SET TRANSACTION ISOLATION LEVEL READ COMMITTED

-- name: reads-committed
-- Whether this session runs in read committed, the level append-one needs.
SELECT pg_catalog.current_setting('transaction_isolation') = 'read committed'

-- name: find-event-ids
-- 1 the ids, a list
SELECT event_id, stream_id, version, position FROM {events} WHERE event_id = ANY (?)

-- name: read-stream
-- The stream id is the caller's: NULL in its column ({stream_event_columns}).
SELECT {stream_event_columns} FROM {events}
WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?

-- name: read-horizon
-- The position below which read-all may return events: every transaction that could still
-- insert an event below it has ended. Run as a statement of its own before read-all, so that an
-- append that commits after this statement's snapshot is visible to read-all's (a horizon taken
-- in the same statement as the rows would count it neither as running nor as visible).
--
-- Only transactions that insert events can hold readers back: those holding (or waiting for) a
-- lock on the events table that lets them write (ROW EXCLUSIVE, which an INSERT takes, or
-- stronger); readers (ACCESS SHARE: a report, pg_dump) and VACUUM are not counted. Every append
-- takes that lock when its statement starts, before it is given a transaction id, so an appender whose id is in this snapshot's list of running
-- transactions is in pg_locks; one that gets its id later gets one at or above the snapshot's
-- xmax. The horizon is the smallest running id among the lock holders, else xmax. pg_locks and
-- pg_stat_activity are live: an appender seen in the snapshot that ends before they are read
-- has committed (visible to read-all) or aborted (wrote nothing). backend_xid holds the low 32
-- bits of an id, matched against the snapshot's full ids. Where the holders cannot be known, the
-- horizon falls back to the snapshot's xmin (the oldest running transaction of the cluster): on
-- a hot standby, whose pg_locks shows only its own sessions, and when pg_stat_activity hides a
-- holder's transaction from this role (grant it pg_read_all_stats to avoid that). Computed in
-- numeric and capped, so that ids past 2^43 (where appends are refused) cannot wrap it around.
-- The sessions are looked up one by one (pg_stat_get_activity(pid), what pg_stat_activity shows):
-- the view reads every session of the server, which made the statement half again as slow with
-- 70 idle sessions open. pg_locks is read once (held) for the sessions and the prepared
-- transactions: each read of it takes every partition of the server's lock table. Read inside a projection batch that appended (its transaction has an
-- id), the horizon takes in the batch's own events when no older append is in flight: its own id
-- is never in its own snapshot's running list, and later ones write above its positions. Then,
-- for people: whether a transaction the horizon cannot see holds it (blind), and the transaction
-- id (low 32 bits), session, age in microseconds and description of the oldest append still
-- running (it may have begun after the snapshot: it holds back the next reads). Last, the
-- position below which every event committed before this statement lies (the snapshot's xmax),
-- for a read by query that waits for its own appends (JdbcEventStore.read).
WITH held AS MATERIALIZED (
    SELECT l.pid, l.virtualtransaction
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'relation' AND l.relation = '{events}'::regclass
      AND l.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
      AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
), writers AS (
    SELECT a.backend_xid::text::bigint AS xid, a.query = '<insufficient privilege>' AS hidden,
           pg_catalog.age(a.backend_xid) AS xid_age, a.pid, a.xact_start AS since,
           format('session %s (application %L, %s)', a.pid, a.application_name, a.state) AS who
    FROM held l
    CROSS JOIN LATERAL pg_catalog.pg_stat_get_activity(l.pid) a
    UNION ALL
    SELECT p.transaction::text::bigint, false, pg_catalog.age(p.transaction), NULL::integer, p.prepared,
           format('prepared transaction %L', p.gid)
    FROM held l
    JOIN pg_catalog.pg_prepared_xacts p ON l.virtualtransaction = '-1/' || p.transaction
), snap AS (
    SELECT pg_current_snapshot() AS s,
           pg_is_in_recovery() OR COALESCE((SELECT bool_or(hidden) FROM writers), false) AS blind
), holder AS (
    SELECT w.xid, w.pid, w.since, w.who
    FROM snap, writers w
    WHERE NOT snap.blind AND w.xid IS NOT NULL
    ORDER BY w.xid_age DESC
    LIMIT 1
), horizon AS (
    SELECT CASE
               WHEN blind THEN pg_snapshot_xmin(s)::text::numeric
               ELSE COALESCE((SELECT min(x::text::numeric) FROM pg_snapshot_xip(s) AS x
                              WHERE (x::text::bigint & 4294967295) IN (SELECT xid FROM writers)),
                             pg_snapshot_xmax(s)::text::numeric)
           END AS h,
           pg_current_xact_id_if_assigned()::text::numeric AS own
    FROM snap
)
SELECT LEAST(((CASE WHEN own IS NOT NULL AND h >= own THEN own + 1 ELSE h END
               + (SELECT xid_offset FROM {log})) * {index_scale}), 9223372036854775807)::bigint AS horizon,
       blind AND pg_snapshot_xmin(s) <> pg_snapshot_xmax(s),
       (SELECT xid FROM holder)::bigint,
       (SELECT pid FROM holder),
       (SELECT (extract(epoch FROM clock_timestamp() - since) * 1000000)::bigint FROM holder),
       (SELECT who FROM holder),
       LEAST((pg_snapshot_xmax(s)::text::numeric + (SELECT xid_offset FROM {log})) * {index_scale},
             9223372036854775807)::bigint
FROM snap, horizon

-- name: horizon-for-rows
-- Not a statement: the columns PostgresDialect adds to read-horizon (as h) when a read sends it
-- together with its rows' statement, in one round trip: they run as one implicit transaction,
-- and in read committed each takes a snapshot of its own, so the rows' statement reads after
-- the horizon was taken, as when they are sent one after the other. The rows' statement reads
-- the horizon from this transaction's setting (horizon-bound); the second column says whether
-- the session runs in read committed (otherwise both would read one snapshot, and the read goes
-- again the other way); the third is the log's last position in the horizon's snapshot (as
-- log-end), so that a filtered projection knows how far a page that is not full has read.
pg_catalog.set_config('annals.read_below', h.horizon::text, true),
pg_catalog.current_setting('transaction_isolation') = 'read committed',
(SELECT coalesce(max(position), 0) FROM {events})

-- name: horizon-bound
-- Not a statement: the horizon in a rows' statement sent after read-horizon (horizon-for-rows).
pg_catalog.current_setting('annals.read_below')::bigint

-- name: read-all
-- 1 after this position, 2 below the horizon (read-horizon), 3 at most this many
SELECT {event_columns} FROM {events}
WHERE position > ? AND position < ?
ORDER BY position LIMIT ?

-- name: read-all-remembered
-- read-all below the horizon of the page before, read on the same connection (ScanHorizons):
-- 1 after this position, 2 below this horizon, 3 the server process that read it, 4 at most this
-- many. A horizon is true on the server that read it: behind a pooler that hands the connection
-- another server (after a failover to a replica that lost transactions, whose ids come again), the
-- statement returns no rows, and the store reads a fresh horizon.
SELECT {event_columns} FROM {events}
WHERE position > ? AND position < ? AND pg_catalog.pg_backend_pid() = ?
ORDER BY position LIMIT ?

-- name: count-events
SELECT count(*) FROM {events}

-- name: log-end
-- The end of the log, visible to readers or not yet, for the lag of projections: the primary
-- key's last entry (0 for an empty log).
SELECT coalesce(max(position), 0) FROM {events}

-- name: database-identity
-- Which database this is, whatever the URL that named it (a copy refuses to write into the store
-- it reads): the server's address and port as this session reached them (a Unix socket has no
-- address) and the database; then the current schema, where the tables are when no schema is
-- configured.
SELECT coalesce(host(inet_server_addr()), 'socket') || ':' || coalesce(inet_server_port(), 0)
       || '/' || current_database(),
       coalesce(current_schema(), '')

-- name: lock-log
LOCK TABLE {log} IN EXCLUSIVE MODE

-- name: read-log-offset
-- The highest transaction id part of a stored position, the offset, and the next transaction id.
SELECT (SELECT COALESCE(MAX(position), 0) >> {index_bits} FROM {events}),
       xid_offset,
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint
FROM {log}

-- name: set-log-offset
UPDATE {log} SET xid_offset = ?

-- name: load-snapshot
SELECT version, last_event_id, schema_version, state, taken_at FROM {snapshots} WHERE stream_id = ?

-- name: save-snapshot
-- Never moves a snapshot backwards: concurrent savers keep the newest. A snapshot of a deleted
-- stream is refused by the table's trigger (V5__stream_deletion.sql), and the store saves nothing.
INSERT INTO {snapshots} (stream_id, version, last_event_id, schema_version, state, taken_at)
VALUES (?, ?, ?, ?, ?, 'epoch'::timestamptz + ? * interval '1 microsecond')
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
-- The compare-and-set of a batch, first in its transaction: the row lock makes a competing
-- runner wait, then fail, before it does any work. 1 the new position, 2 the projection, 3 the
-- expected one.
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
-- One statement whatever the number of keys, with the keys as one text[]: its plan uses the
-- whole primary key whatever the table's statistics. An IN list of 500 parameters got a generic
-- plan while a rebuild had left the table without statistics, which used only projection = $1
-- and filtered every row of the read model (130-220 ms a batch, against 2 ms).
-- 1 the projection, 2 the keys, a list
SELECT key, value FROM {rows} WHERE projection = ? AND key = ANY (?)

-- name: upsert-rows
-- 1 the projection, 2 the keys and 3 the values, two lists of the same length
INSERT INTO {rows} (projection, key, value)
SELECT ?, r.key, r.value FROM unnest(?::text[], ?::text[]) AS r (key, value)
ON CONFLICT (projection, key) DO UPDATE SET value = excluded.value

-- name: delete-rows
-- 1 the projection, 2 the keys, a list
DELETE FROM {rows} WHERE projection = ? AND key = ANY (?)

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

-- name: lease-key
-- The key of a projection's lease: the lease table's object id (unique in the database) in the
-- high 32 bits, the projection's number in that table in the low ones. Two projections, or one
-- in two schemas or under two prefixes, never share a key (a hash of their names could).
-- Inserts the projection's row the first time. 1 and 2 the projection.
WITH created AS (
    INSERT INTO {leases} (projection) VALUES (?) ON CONFLICT (projection) DO NOTHING RETURNING lock_id
)
SELECT ('{leases}'::regclass::oid::bigint << 32) | lock_id FROM created
UNION ALL
SELECT ('{leases}'::regclass::oid::bigint << 32) | lock_id FROM {leases} WHERE projection = ?

-- name: try-lease
-- A session advisory lock, released by the server when the session ends. 1 the lease key.
SELECT pg_try_advisory_lock(?)

-- name: release-lease
SELECT pg_advisory_unlock(?)

-- name: set-tags
-- Tags stored events after the fact (TagBackfill): 1 the event's tags, all of them (a JSON array),
-- 2 its position.
UPDATE {events} SET tags = ?::json WHERE position = ?

-- name: add-tags
-- 1 the position, 2 the tags to add (a list); those it has already are kept.
INSERT INTO {tags} (tag, position) SELECT t.tag, ? FROM unnest(?::text[]) AS t(tag)
ON CONFLICT (tag, position) DO NOTHING

-- name: in-list
-- Not a statement: how a query by tags and types (QuerySql) compares a column with a list
-- parameter, bound as one array: one plan whatever the number of values.
 = ANY (?::text[])

-- name: stream-head
-- The stream's last event: its version, type (a tombstone when the stream was deleted) and
-- position. No row for a stream that never existed.
SELECT version, type, position FROM {events} WHERE stream_id = ? ORDER BY version DESC LIMIT 1

-- name: find-removed-ids
-- Which of these ids belonged to events removed from the log (deleted or truncated streams):
-- they stay reserved. 1 the ids, a list.
SELECT event_id, stream_id, version, position FROM {removed} WHERE event_id = ANY (?)

-- name: lock-stream-for-deletion
-- First in a deletion, after the locks of its tombstone, and first in a truncation: the lock each
-- insert into the stream takes shared (see V5__stream_deletion.sql). Held exclusively, it also
-- keeps a deletion and a truncation of one stream, or two truncations, from interleaving. 1 the
-- stream.
SELECT pg_advisory_xact_lock('{events}'::regclass::oid::integer, hashtext(?))

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
VALUES (?, ?, ?, ?, ?, 'epoch'::timestamptz + ? * interval '1 microsecond')
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
INSERT INTO {removed} (event_id, stream_id, version, position) VALUES (?, ?, ?, ?)
ON CONFLICT (event_id) DO NOTHING

-- name: live-subject-key
-- The subject's newest key that is not forgotten. 1 the subject
SELECT data_key_id, wrapping_key_id, wrapped,
       (extract(epoch FROM created_at) * 1000000)::bigint
FROM {subject_keys}
WHERE subject = ? AND wrapped IS NOT NULL
ORDER BY created_at DESC, data_key_id DESC LIMIT 1

-- name: find-subject-key
-- 1 the subject, 2 the data key's id
SELECT data_key_id, wrapping_key_id, wrapped,
       (extract(epoch FROM created_at) * 1000000)::bigint
FROM {subject_keys}
WHERE subject = ? AND data_key_id = ?

-- name: insert-subject-key
-- 1 subject, 2 data key id, 3 wrapping key id, 4 wrapped, 5 created at (microseconds)
INSERT INTO {subject_keys} (subject, data_key_id, wrapping_key_id, wrapped, created_at)
VALUES (?, ?, ?, ?, 'epoch'::timestamptz + ? * interval '1 microsecond')

-- name: forget-subject-keys
-- 1 forgotten at (microseconds), 2 the subject
UPDATE {subject_keys}
SET wrapped = NULL,
    forgotten_at = coalesce(forgotten_at, 'epoch'::timestamptz + ? * interval '1 microsecond')
WHERE subject = ?

-- name: count-subject-keys
SELECT count(*) FROM {subject_keys} WHERE subject = ?

-- name: keys-wrapped-by-other
-- 1 the current wrapping key's id, 2 at most this many
SELECT subject, data_key_id, wrapping_key_id, wrapped,
       (extract(epoch FROM created_at) * 1000000)::bigint
FROM {subject_keys}
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
VALUES (?, ?, ?, ?, ?, ?, 'epoch'::timestamptz + ? * interval '1 microsecond')

-- name: list-dead-letters
SELECT position, event_id, stream_id, type, error, parked_at FROM {dead_letters}
WHERE projection = ? ORDER BY position

-- name: held-streams
-- The streams of a projection that have a dead letter, among 2 these streams (a list).
SELECT DISTINCT stream_id FROM {dead_letters}
WHERE projection = ? AND stream_id = ANY (?::text[])

-- name: delete-dead-letter
DELETE FROM {dead_letters} WHERE projection = ? AND position = ?

-- name: delete-dead-letters
DELETE FROM {dead_letters} WHERE projection = ?

-- name: read-version
-- A projection's generation in service, checked by each batch after its compare-and-set, so that
-- a projector of a version that was replaced never writes again. FOR SHARE waits for a
-- switch under way (which holds the row FOR UPDATE) and then reads what it wrote.
-- 1 the projection.
SELECT generation, live_key FROM {versions} WHERE projection = ? FOR SHARE

-- name: lock-version
-- The version in service, read by a switch before it moves it.
-- FOR UPDATE: a batch of the old version (FOR SHARE on this row) waits for the switch's end. 1 the projection.
SELECT generation, live_key FROM {versions} WHERE projection = ? FOR UPDATE

-- name: insert-version
-- Generation 0, before the first build of a projection: 1 the projection, 2 its name as key.
INSERT INTO {versions} (projection, generation, live_key) VALUES (?, 0, ?)
ON CONFLICT (projection) DO NOTHING

-- name: switch-version
-- 1 the new generation, 2 its key, 3 the projection, 4 the generation it replaces.
UPDATE {versions} SET generation = ?, live_key = ? WHERE projection = ? AND generation = ?

-- name: lock-checkpoint
-- The checkpoint of the version in service, read by a switch.
-- FOR UPDATE: waits for a batch of the old version under way, then reads where it left it. 1 the key.
SELECT position FROM {checkpoints} WHERE projection = ? FOR UPDATE

-- name: delete-checkpoint
DELETE FROM {checkpoints} WHERE projection = ?

-- name: category-of
-- Not a statement: the category of an event's stream (its id up to the first '-'), word for word
-- the expression of the index events_category_position, which a read by category scans.
split_part(stream_id, '-', 1)
