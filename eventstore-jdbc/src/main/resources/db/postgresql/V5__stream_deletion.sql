-- Deleted streams. A deletion removes a stream's events and writes a tombstone, type
-- $stream-deleted, at the next version: the stream's last event from then on, which every append
-- statement checks, and a row here.
CREATE TABLE {deleted} (
    stream_id text   PRIMARY KEY,
    version   bigint NOT NULL,
    position  bigint NOT NULL
);

-- The ids of removed events stay reserved, so that an append repeated after a deletion never
-- stores its events twice.
CREATE TABLE {removed} (
    event_id  uuid   PRIMARY KEY,
    stream_id text   NOT NULL,
    version   bigint NOT NULL,
    position  bigint NOT NULL
);

-- Checked for each event inserted, after a lock on its stream that a deletion takes exclusively
-- first: an append whose statement began before a deletion committed (and so read the stream's
-- head as it was) would otherwise insert below the tombstone once the deletion had removed the
-- versions it collides with. Either the append takes the lock first, and the deletion waits for
-- it and removes its events too, or it waits for the deletion and, reading afresh, is refused
-- (SQLSTATE AN001). A removed id fails as a duplicate id would (unique_violation on the events'
-- id constraint).
CREATE FUNCTION {refuse_removed_ids}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(TG_RELID::integer, hashtext(NEW.stream_id));
    IF NEW.type <> '$stream-deleted' AND EXISTS (SELECT 1 FROM {deleted} WHERE stream_id = NEW.stream_id) THEN
        RAISE EXCEPTION 'annals: stream % was deleted', NEW.stream_id USING ERRCODE = 'AN001';
    END IF;
    IF EXISTS (SELECT 1 FROM {removed} WHERE event_id = NEW.event_id) THEN
        RAISE EXCEPTION 'annals: the id % of a removed event', NEW.event_id
            USING ERRCODE = 'unique_violation', CONSTRAINT = '{prefix}events_event_id';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER {prefix}refuse_removed_ids BEFORE INSERT ON {events}
    FOR EACH ROW EXECUTE FUNCTION {refuse_removed_ids}();

-- The same for snapshots: a repository that loaded a stream before its deletion must not save
-- its state back afterwards.
CREATE FUNCTION {refuse_deleted_snapshots}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared('{events}'::regclass::oid::integer, hashtext(NEW.stream_id));
    IF EXISTS (SELECT 1 FROM {deleted} WHERE stream_id = NEW.stream_id) THEN
        RAISE EXCEPTION 'annals: stream % was deleted', NEW.stream_id USING ERRCODE = 'AN001';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER {prefix}refuse_deleted_snapshots BEFORE INSERT OR UPDATE ON {snapshots}
    FOR EACH ROW EXECUTE FUNCTION {refuse_deleted_snapshots}();
