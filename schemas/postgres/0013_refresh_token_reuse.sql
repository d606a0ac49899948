-- Refresh tokens a session has rotated away from (SHA-256 hashes). One coming back means two parties hold
-- the session's tokens: the session is revoked (reuse detection, docs/security.md).
CREATE TABLE rotated_refresh_tokens (
  refresh_hash text PRIMARY KEY,
  session_id   uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE
);
CREATE INDEX rotated_refresh_tokens_session ON rotated_refresh_tokens (session_id);
