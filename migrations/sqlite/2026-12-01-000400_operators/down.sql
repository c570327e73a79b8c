DROP TABLE audit_events;
DROP INDEX users_role;
ALTER TABLE users DROP COLUMN disabled_at;
ALTER TABLE users DROP COLUMN role;
