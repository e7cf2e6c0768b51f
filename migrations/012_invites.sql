-- projections/invites.go: one row per invite, for the admin console's list
-- and for finding an invite by its token's digest (the accept page). The
-- invite's own stream decides; this table only finds it.
CREATE TABLE invites (
    id            text        PRIMARY KEY,
    email         text        NOT NULL DEFAULT '',
    role          text        NOT NULL,
    link          boolean     NOT NULL,
    digest        text        NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    max_uses      integer     NOT NULL,
    uses          integer     NOT NULL DEFAULT 0,
    revoked       boolean     NOT NULL DEFAULT false,
    mail_state    text        NOT NULL DEFAULT 'pending', -- pending, sending, sent, failed
    mail_attempts integer     NOT NULL DEFAULT 0,
    mail_error    text        NOT NULL DEFAULT '',
    retry_at      timestamptz,                            -- a failed attempt's next try
    position      bigint      NOT NULL
);
CREATE INDEX invites_created ON invites (created_at DESC);
CREATE INDEX invites_mail_owed ON invites (retry_at) WHERE mail_state = 'pending' AND NOT link AND NOT revoked;

-- workers/invite_mailer.go: the position of the log the mailer has handled.
-- One node mails at a time (advisory lock); the checkpoint moves after the
-- outcome of each event is in the log, so a restart resumes where it was.
CREATE TABLE worker_checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);
