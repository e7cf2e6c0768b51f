-- Every consumer with durable state keeps its position here, moved in the
-- same transaction as the rows it wrote.
CREATE TABLE projection_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- projections/users.go
CREATE TABLE users (
    id              text        PRIMARY KEY,
    username        text        NOT NULL,
    email           text        NOT NULL DEFAULT '',
    provider        text        NOT NULL,
    admin           boolean     NOT NULL DEFAULT false,
    access_granted  boolean     NOT NULL DEFAULT false,
    disabled        boolean     NOT NULL DEFAULT false,
    session_epoch   bigint      NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    last_login_at   timestamptz,
    position        bigint      NOT NULL
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

-- projections/sessions.go
CREATE TABLE sessions (
    id          text        PRIMARY KEY,
    user_id     text        NOT NULL,
    kind        text        NOT NULL,
    authorized  boolean     NOT NULL,
    provider    text        NOT NULL,
    client_ip   text        NOT NULL DEFAULT '',
    user_agent  text        NOT NULL DEFAULT '',
    started_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    end_reason  text        NOT NULL DEFAULT '',
    position    bigint      NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_ended ON sessions (ended_at) WHERE ended_at IS NOT NULL;

-- projections/mfa.go
CREATE TABLE mfa_state (
    user_id                  text        PRIMARY KEY,
    state                    text        NOT NULL,
    started_at               timestamptz,
    enabled_at               timestamptz,
    last_used_at             timestamptz,
    recovery_codes_remaining integer     NOT NULL DEFAULT 0,
    failed_challenges        integer     NOT NULL DEFAULT 0,
    position                 bigint      NOT NULL
);
