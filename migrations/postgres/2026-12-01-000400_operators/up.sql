-- Operators: a role per account ('user' or 'admin') and a switch that locks an account out.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
CREATE INDEX users_role ON users(role);

-- Security-relevant events, append-only. No foreign keys: the log outlives what it names
-- (a deleted account's events stay until retention removes them).
CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    actor_id TEXT,
    subject_id TEXT,
    ip_address TEXT,
    user_agent TEXT,
    request_id TEXT,
    details TEXT
);
CREATE INDEX audit_events_created_at ON audit_events(created_at);
CREATE INDEX audit_events_actor_id ON audit_events(actor_id, id);
CREATE INDEX audit_events_subject_id ON audit_events(subject_id, id);
