-- The data keys of personal data sealed per data subject (io.annals.eventstore.privacy), each
-- wrapped by the application's key (never stored here). Forgetting a subject sets wrapped to NULL
-- and keeps the row: a value sealed with that key then reveals as forgotten, while a key that
-- never was here is an error. secure_delete (set on every connection) overwrites the old bytes.
CREATE TABLE {subject_keys} (
    subject         TEXT    NOT NULL,
    data_key_id     TEXT    NOT NULL,
    wrapping_key_id TEXT    NOT NULL,
    wrapped         BLOB,
    created_at      INTEGER NOT NULL,
    forgotten_at    INTEGER,
    PRIMARY KEY (subject, data_key_id)
) WITHOUT ROWID;
