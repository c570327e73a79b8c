ALTER TABLE usage_records DROP COLUMN message_id;
ALTER TABLE usage_records DROP COLUMN session_id;
