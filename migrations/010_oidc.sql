-- projections/oauth_clients.go: the registered OAuth clients, for listing.
-- The provider itself reads a client from its stream (client-<id>).
CREATE TABLE oauth_clients (
    id                        text        PRIMARY KEY,
    name                      text        NOT NULL,
    redirect_uris             text[]      NOT NULL,
    post_logout_redirect_uris text[]      NOT NULL,
    public                    boolean     NOT NULL,
    first_party               boolean     NOT NULL,
    scopes                    text[]      NOT NULL,
    created_at                timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL,
    position                  bigint      NOT NULL
);

-- projections/oidc_tokens.go: access tokens by the SHA-256 digest of the
-- token (the token itself is never stored), for userinfo and introspection.
CREATE TABLE oidc_access_tokens (
    digest      text        PRIMARY KEY,
    grant_id    text        NOT NULL,
    client_id   text        NOT NULL,
    user_id     text        NOT NULL,
    session_id  text        NOT NULL,
    epoch       bigint      NOT NULL,
    scopes      text[]      NOT NULL,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked     boolean     NOT NULL DEFAULT false,
    position    bigint      NOT NULL
);
CREATE INDEX oidc_access_tokens_grant ON oidc_access_tokens (grant_id);
CREATE INDEX oidc_access_tokens_expiry ON oidc_access_tokens (expires_at);
