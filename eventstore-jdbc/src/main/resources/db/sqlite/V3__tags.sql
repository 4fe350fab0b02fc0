-- Tags name what an event is about ("product:tea"), for reads by tag and the conditions of
-- appends across streams. The tags of an event are kept twice: as a JSON array in the event's
-- row (what reads give back, NULL when it has none) and one row each in {tags}, whose key
-- (tag, position) makes a read by tag a range scan of the matching events, whatever the size of
-- the log. Events stored before this version carry no tags.
ALTER TABLE {events} ADD COLUMN tags TEXT;

CREATE TABLE {tags} (
    tag      TEXT    NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (tag, position)
) WITHOUT ROWID;

-- Reads by type: a range scan of the matching events.
CREATE INDEX {prefix}events_type_position ON {events} (type, position);
