-- The removed ids are checked once a statement's events are in the table, no longer before each
-- row goes in. Before the row, an append could carry the id of an event that a deletion or
-- truncation of another stream was removing: the removal had not committed, so its id was not in
-- {removed} yet; the insert then waited on the events' unique id for the removal, and stored the
-- event once the removal committed, although its id was reserved from then on. After the
-- statement, the insert has waited for every removal of its ids, and the check (a query of its
-- own, reading afresh in read committed, the only level appends run at) sees what they reserved.
-- One query per statement, over the events it inserted (a transition table), rather than one per
-- event. The lock of each event's stream and the check of deleted streams stay before each row:
-- taken after the insert, the lock would make an append that holds a version wait for a deletion
-- that waits for that version.
DROP TRIGGER {prefix}refuse_removed_ids ON {events};
DROP FUNCTION {refuse_removed_ids}();

-- V5__stream_deletion.sql says why each insert takes its stream's lock before the check.
CREATE FUNCTION {refuse_deleted_streams}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(TG_RELID::integer, hashtext(NEW.stream_id));
    IF NEW.type <> '$stream-deleted' AND EXISTS (SELECT 1 FROM {deleted} WHERE stream_id = NEW.stream_id) THEN
        RAISE EXCEPTION 'annals: stream % was deleted', NEW.stream_id USING ERRCODE = 'AN001';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER {prefix}refuse_deleted_streams BEFORE INSERT ON {events}
    FOR EACH ROW EXECUTE FUNCTION {refuse_deleted_streams}();

-- A removed id fails as a duplicate id would (unique_violation on the events' id constraint).
CREATE FUNCTION {refuse_removed_ids}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved uuid;
BEGIN
    SELECT i.event_id INTO reserved
    FROM inserted_events AS i JOIN {removed} AS r ON r.event_id = i.event_id
    LIMIT 1;
    IF reserved IS NOT NULL THEN
        RAISE EXCEPTION 'annals: the id % of a removed event', reserved
            USING ERRCODE = 'unique_violation', CONSTRAINT = '{prefix}events_event_id';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER {prefix}refuse_removed_ids AFTER INSERT ON {events}
    REFERENCING NEW TABLE AS inserted_events
    FOR EACH STATEMENT EXECUTE FUNCTION {refuse_removed_ids}();
