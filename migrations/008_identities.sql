-- projections/identities.go: the outside accounts linked to users, with the
-- provider's credential as the log holds it (sealed with DATA_KEY), so the
-- media-access re-check can ask the provider without the user.
CREATE TABLE identities (
    provider   text        NOT NULL,
    subject    text        NOT NULL,
    user_id    text        NOT NULL,
    username   text        NOT NULL,
    token      text        NOT NULL DEFAULT '', -- sealed
    linked_at  timestamptz NOT NULL,
    position   bigint      NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user ON identities (user_id);
