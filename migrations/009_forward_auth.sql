-- Forward auth (issue 7). projections/forward_auth.go: the protected hosts
-- (host names in stored form: IDNA-normalised, lower case, "*.example.com"
-- for a wildcard) and each user's permission mode with its host
-- exceptions. Host names are unique through their claim streams in the
-- log; the index here only serves lookups, so that a read model never
-- stalls on a constraint the log already guards.
CREATE TABLE protected_hosts (
    id           text        PRIMARY KEY,
    host         text        NOT NULL,
    name         text        NOT NULL,
    forward_auth boolean     NOT NULL,
    created_at   timestamptz NOT NULL,
    position     bigint      NOT NULL
);
CREATE INDEX protected_hosts_host ON protected_hosts (host);

CREATE TABLE user_permissions (
    user_id  text   PRIMARY KEY,
    mode     text   NOT NULL,
    hosts    text[] NOT NULL DEFAULT '{}', -- host ids: the exceptions to mode
    position bigint NOT NULL
);
