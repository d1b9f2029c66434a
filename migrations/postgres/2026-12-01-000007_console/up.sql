-- The console's server-side state. A cookie carries a random session id; only its SHA-256
-- is stored, so a copy of this table signs nobody in.
CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    display_name TEXT NOT NULL,
    -- Space-separated scopes, as in a token.
    scopes TEXT NOT NULL,
    agency TEXT,
    csrf TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);

-- A pending sign-in: a one-time link (kind 'link') or an OpenID Connect authorization
-- request on its way to the provider (kind 'oidc', with its nonce and PKCE verifier).
-- Used once: a sign-in deletes its row in the transaction that creates the session.
CREATE TABLE console_signins (
    key_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    sub TEXT,
    scopes TEXT,
    agency TEXT,
    nonce TEXT,
    pkce_verifier TEXT,
    expires_at TIMESTAMP NOT NULL
);

-- A check made from the console: the NIPs in the order given with the committee's own
-- references, and for each the decision made or the error it got.
CREATE TABLE console_checks (
    id TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    purpose TEXT NOT NULL,
    as_of DATE NOT NULL,
    created_at TIMESTAMP NOT NULL,
    items TEXT NOT NULL
);
CREATE INDEX console_checks_sub ON console_checks (sub, created_at);
