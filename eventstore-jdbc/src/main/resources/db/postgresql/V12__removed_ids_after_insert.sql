-- The removed ids are checked once a statement's events are in the table, no longer before each
-- row goes in. Before the row, an append could carry the id of an event that a deletion or
-- truncation of another stream was removing: the removal had not committed, so its id was not in
-- {removed} yet; the insert then waited on the events' unique id for the removal, and stored the
-- event once the removal committed, although its id was reserved from then on. After the
-- statement, the insert has waited for every removal of its ids, and the check (a query of its
-- own, reading afresh in read committed, the level appends run at) sees what they reserved.
--
-- The row trigger of V5__stream_deletion.sql keeps its name and its first two checks, the lock of
-- each event's stream and the deleted streams (taken after the insert, the lock would make an
-- append that holds a version wait for a deletion that waits for that version): its function is
-- replaced, which takes no lock on the table, where dropping the trigger would take one that
-- stops every reader while the migration waits for transactions in flight.
CREATE OR REPLACE FUNCTION {refuse_removed_ids}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(TG_RELID::integer, hashtext(NEW.stream_id));
    IF NEW.type <> '$stream-deleted' AND EXISTS (SELECT 1 FROM {deleted} WHERE stream_id = NEW.stream_id) THEN
        RAISE EXCEPTION 'annals: stream % was deleted', NEW.stream_id USING ERRCODE = 'AN001';
    END IF;
    RETURN NEW;
END
$$;

-- Once per statement, over the events it inserted (a transition table). Each inserted id is
-- probed in {removed}'s primary key (a lateral subquery with a LIMIT of its own stays the inner
-- side of a nested loop), so the plan, made once per session, does not depend on the number of
-- rows of the statement it was made for. A removed id fails as a duplicate id would
-- (unique_violation on the events' id constraint).
CREATE FUNCTION {refuse_reserved_ids}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved uuid;
BEGIN
    SELECT i.event_id INTO reserved
    FROM inserted_events AS i
    CROSS JOIN LATERAL (SELECT 1 FROM {removed} AS r WHERE r.event_id = i.event_id LIMIT 1) AS hit
    LIMIT 1;
    IF reserved IS NOT NULL THEN
        RAISE EXCEPTION 'annals: the id % of a removed event', reserved
            USING ERRCODE = 'unique_violation', CONSTRAINT = '{prefix}events_event_id';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER {prefix}refuse_reserved_ids AFTER INSERT ON {events}
    REFERENCING NEW TABLE AS inserted_events
    FOR EACH STATEMENT EXECUTE FUNCTION {refuse_reserved_ids}();
