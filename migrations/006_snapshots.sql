-- eventstore/snapshot.go: the state of a long-lived aggregate (a user) as
-- folded up to a stream version, so that loading it reads the snapshot and
-- the few events after it instead of a stream that grows with its history.
-- A cache, not a truth: rows can be deleted at any time (they are taken
-- again), and a snapshot whose schema is not the fold's current one is
-- ignored. It holds only what the events hold (sealed secrets stay sealed).
CREATE TABLE snapshots (
    stream_id text        PRIMARY KEY,
    version   bigint      NOT NULL,
    schema    integer     NOT NULL,
    data      jsonb       NOT NULL,
    taken_at  timestamptz NOT NULL DEFAULT now()
);
