-- One row per /v1 request: who, which model and upstream, how many tokens, how it went.
CREATE TABLE usage_records (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    api_key_id TEXT REFERENCES api_keys(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    upstream TEXT,
    stream BOOLEAN NOT NULL,
    prompt_tokens BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens BIGINT NOT NULL,
    estimated BOOLEAN NOT NULL,
    ttft_ms BIGINT,
    latency_ms BIGINT NOT NULL,
    status INTEGER NOT NULL,
    cancelled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX usage_records_user_created ON usage_records(user_id, created_at);
