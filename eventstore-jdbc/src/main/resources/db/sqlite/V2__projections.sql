-- Projection checkpoints and the rows of keyed read models. A batch of a projection writes its
-- rows and moves its checkpoint in one transaction; the checkpoint moves by compare-and-set.
CREATE TABLE {checkpoints} (
    projection TEXT    PRIMARY KEY,
    position   INTEGER NOT NULL
);

CREATE TABLE {rows} (
    projection TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (projection, key)
);
