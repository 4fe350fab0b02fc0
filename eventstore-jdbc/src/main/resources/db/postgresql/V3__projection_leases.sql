-- The leases of projections: a runner holds a projection through a session advisory lock whose
-- key is this table's object id and the projection's number here, so that no two projections
-- (of any schema, under any prefix) share a key.
CREATE TABLE {leases} (
    projection text   PRIMARY KEY,
    lock_id    bigint GENERATED ALWAYS AS IDENTITY UNIQUE
);
