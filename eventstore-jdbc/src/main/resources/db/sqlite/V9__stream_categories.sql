-- Reads by stream category: the category of a stream is its id up to the first '-' (all of it
-- when there is none), as Aggregate.category() + "-" + id makes them. An index on that
-- expression and the position finds a category's events in log order, so that a projection of
-- one category reads its events alone. The statements that read by category repeat the
-- expression word for word: SQLite uses an index on an expression only for the same expression.
CREATE INDEX {prefix}events_category_position ON {events} (
    (CASE WHEN instr(stream_id, '-') > 0 THEN substr(stream_id, 1, instr(stream_id, '-') - 1) ELSE stream_id END),
    position
);
