CREATE TABLE chat_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    model TEXT NOT NULL,
    system_prompt TEXT,
    params TEXT NOT NULL,
    archived BOOLEAN NOT NULL,
    pinned BOOLEAN NOT NULL,
    current_leaf_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX chat_sessions_user_updated ON chat_sessions(user_id, updated_at, id);

CREATE TABLE chat_messages (
    id TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES chat_sessions(id) ON DELETE CASCADE,
    parent_id TEXT,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    model TEXT,
    status TEXT NOT NULL,
    error TEXT,
    prompt_tokens BIGINT,
    completion_tokens BIGINT,
    estimated BOOLEAN NOT NULL,
    owner TEXT,
    checkpointed_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX chat_messages_session ON chat_messages(session_id, created_at);
CREATE INDEX chat_messages_parent ON chat_messages(parent_id);
CREATE INDEX chat_messages_status ON chat_messages(status);
