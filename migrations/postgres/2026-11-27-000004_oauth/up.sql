-- A sign-in method of a user at an OpenID provider: (provider, subject) is who they are there.
CREATE TABLE user_identities (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    email TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX user_identities_user_id ON user_identities(user_id);

-- A sign-in in progress: single use, short-lived, bound to the browser that started it.
CREATE TABLE oauth_flows (
    state_hash TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    redirect_to TEXT NOT NULL,
    browser_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- The one-time code the frontend exchanges for tokens after a provider sign-in.
CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL
);
