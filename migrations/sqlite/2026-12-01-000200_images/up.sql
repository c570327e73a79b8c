-- One row per generated image. The files are named by the SHA-256 of their bytes
-- (`file_name`, `thumbnail_name`), so identical images share a file: it is deleted with its
-- last row.
CREATE TABLE images (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    api_key_id TEXT REFERENCES api_keys(id) ON DELETE SET NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    revised_prompt TEXT,
    size TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    format TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    thumbnail_name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX images_user_id ON images(user_id, id);
CREATE INDEX images_file_name ON images(file_name);
CREATE INDEX images_thumbnail_name ON images(thumbnail_name);
