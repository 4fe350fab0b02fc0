-- The version of each projection in service, for blue-green rebuilds. A version built beside the
-- one in service keeps its rows and checkpoint under a key of its own (generation 0 under the
-- projection's name, generation n under '$version:n:' and the name); the switch to it is one
-- transaction that moves this row to its generation and drops the rows of the one it replaces.
-- Readers of keyed read models read the rows of the key named here, in the same statement, so a
-- read sees one version whole. A projection without a row is at generation 0.
CREATE TABLE {versions} (
    projection TEXT    PRIMARY KEY,
    generation INTEGER NOT NULL CHECK (generation >= 0),
    live_key   TEXT    NOT NULL
);
