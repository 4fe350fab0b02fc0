-- The data keys of personal data sealed per data subject (io.annals.eventstore.privacy), each
-- wrapped by the application's key (never stored here). Forgetting a subject sets wrapped to NULL
-- and keeps the row: a value sealed with that key then reveals as forgotten, while a key that
-- never was here is an error. The old row version keeps the wrapped bytes until VACUUM reclaims
-- it (docs/deleting.md).
CREATE TABLE {subject_keys} (
    subject         text        NOT NULL,
    data_key_id     text        NOT NULL,
    wrapping_key_id text        NOT NULL,
    wrapped         bytea,
    created_at      timestamptz NOT NULL,
    forgotten_at    timestamptz,
    PRIMARY KEY (subject, data_key_id)
);
