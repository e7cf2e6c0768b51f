-- keycheck.go: a keyed fingerprint of each key the database was first used
-- with, so that a node started with other keys refuses to start instead of
-- refusing the others' cookies and failing to open their sealed secrets.
-- Never the key itself: HMAC-SHA256 keyed by the key over a fixed label.
CREATE TABLE key_fingerprints (
    name        text        PRIMARY KEY, -- the variable: SESSION_SECRET, DATA_KEY
    fingerprint bytea       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
