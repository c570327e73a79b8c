ALTER TABLE usage_records DROP COLUMN cost_usd;
ALTER TABLE api_keys DROP COLUMN monthly_cost_budget_usd;
ALTER TABLE api_keys DROP COLUMN monthly_token_budget;
ALTER TABLE api_keys DROP COLUMN concurrent_streams;
ALTER TABLE api_keys DROP COLUMN tokens_per_minute;
ALTER TABLE api_keys DROP COLUMN requests_per_minute;
