DROP INDEX oauth_codes_expires_at;
DROP INDEX oauth_flows_expires_at;
DROP INDEX auth_sessions_expires_at;
DROP INDEX refresh_tokens_expires_at;
ALTER TABLE refresh_tokens DROP COLUMN successor_sealed;
DROP TABLE email_tokens;
ALTER TABLE users DROP COLUMN email_verified;
