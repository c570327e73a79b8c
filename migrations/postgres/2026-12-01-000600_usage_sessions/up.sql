-- The chat session and assistant message a request answered (NULL for /v1 calls). No foreign
-- keys: usage is billing history and outlives a deleted session.
ALTER TABLE usage_records ADD COLUMN session_id TEXT;
ALTER TABLE usage_records ADD COLUMN message_id TEXT;
