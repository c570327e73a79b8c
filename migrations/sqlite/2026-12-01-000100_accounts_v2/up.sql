-- Whether the owner has proved the address: a mailed link, a password reset, or a provider that
-- vouches for it. Only a verified account is ever linked to a provider identity.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
-- Accounts a provider created (no password, an identity with the same address) were vouched for.
UPDATE users SET email_verified = TRUE
WHERE password_hash IS NULL
  AND EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = users.id AND i.email = users.email);

-- Single-use tokens mailed to an account's address: purpose 'verify' (24 h) or 'reset' (1 h).
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX email_tokens_user_id ON email_tokens(user_id);
CREATE INDEX email_tokens_expires_at ON email_tokens(expires_at);

-- Rotation grace: the successor pair, sealed under a key only the spent token derives, so a
-- token presented again within the grace window gets the same pair (never stored in clear).
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed TEXT;

-- The janitor deletes expired rows in small batches along these.
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens(expires_at);
CREATE INDEX auth_sessions_expires_at ON auth_sessions(expires_at);
CREATE INDEX oauth_flows_expires_at ON oauth_flows(expires_at);
CREATE INDEX oauth_codes_expires_at ON oauth_codes(expires_at);
