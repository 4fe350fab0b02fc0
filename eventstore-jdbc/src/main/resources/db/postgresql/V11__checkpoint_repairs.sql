-- A count of the changes made to a projection's read model outside its batches (a parked event
-- applied again), bumped in the transaction of each. A batch reads it as it moves the checkpoint:
-- a projector that keeps rows in memory at a checkpoint learns there that another process changed
-- them although the checkpoint did not move, and reads them again. A constant default: no rewrite
-- of the table.
ALTER TABLE {checkpoints} ADD COLUMN repairs bigint NOT NULL DEFAULT 0;
