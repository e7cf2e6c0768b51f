-- throttle/: token buckets shared by every node (rate limits per client
-- address, failure budgets per account and per device). One row per key
-- that has spent anything recently, holding the bucket's "theoretical
-- arrival time" (GCRA): the bucket is full again once tat is in the past,
-- and a row whose tat has passed carries no information and may be swept.
--
-- Keys are HMAC digests, never the name, address or device id they stand
-- for: a password typed into the username box must not be stored anywhere.
-- UNLOGGED: losing the budgets in a database crash only refills them, and
-- an attacker's flood of failures then costs no WAL.
CREATE UNLOGGED TABLE throttle_buckets (
    key bytea       PRIMARY KEY,
    tat timestamptz NOT NULL
);
CREATE INDEX throttle_buckets_tat ON throttle_buckets (tat);
