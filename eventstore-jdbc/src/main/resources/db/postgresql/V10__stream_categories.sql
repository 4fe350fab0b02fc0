-- Reads by stream category: the category of a stream is its id up to the first '-' (all of it
-- when there is none), as Aggregate.category() + "-" + id makes them. An index on that
-- expression and the position finds a category's events in log order, so that a projection of
-- one category reads its events alone. The statements that read by category repeat the
-- expression (split_part of the first field). Building the index reads the whole table once and
-- holds back appends meanwhile: on a large log, expect the first open of this version to take
-- that long.
CREATE INDEX {prefix}events_category_position ON {events} (split_part(stream_id, '-', 1), position);
