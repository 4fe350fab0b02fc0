-- Projection checkpoints and the rows of keyed read models. A batch of a projection writes its
-- rows and moves its checkpoint in one transaction; the checkpoint moves by compare-and-set.
CREATE TABLE {checkpoints} (
    projection text   PRIMARY KEY,
    position   bigint NOT NULL
);

CREATE TABLE {rows} (
    projection text NOT NULL,
    key        text NOT NULL,
    value      text NOT NULL,
    PRIMARY KEY (projection, key)
);
