-- Per-key limits (NULL: the configured defaults apply) and the cost of each request, priced
-- from the catalog when it was made.
ALTER TABLE api_keys ADD COLUMN requests_per_minute BIGINT;
ALTER TABLE api_keys ADD COLUMN tokens_per_minute BIGINT;
ALTER TABLE api_keys ADD COLUMN concurrent_streams BIGINT;
ALTER TABLE api_keys ADD COLUMN monthly_token_budget BIGINT;
ALTER TABLE api_keys ADD COLUMN monthly_cost_budget_usd DOUBLE PRECISION;
ALTER TABLE usage_records ADD COLUMN cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0;
