-- How many images a generation returned (0 for chat), so reports count images beside tokens.
ALTER TABLE usage_records ADD COLUMN images BIGINT NOT NULL DEFAULT 0;
