-- Accounts, access control, sessions, audit and service settings (BRIEF §4, seed 003 §2.2.1, §2.2.20, appendix 2).

CREATE TABLE projects (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '',
  time_zone   text NOT NULL DEFAULT 'UTC',
  created_at  timestamptz NOT NULL DEFAULT now(),
  version     int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX projects_name ON projects (lower(name));

CREATE TABLE permissions (
  name        text PRIMARY KEY,
  description text NOT NULL
);

CREATE TABLE roles (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '',
  -- Built-in roles (Administrator, Operator, ...) cannot be deleted.
  builtin     boolean NOT NULL DEFAULT false,
  version     int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX roles_name ON roles (lower(name));

CREATE TABLE role_permissions (
  role_id    uuid NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
  permission text NOT NULL REFERENCES permissions (name),
  PRIMARY KEY (role_id, permission)
);

CREATE TABLE users (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username             text NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
  display_name         text NOT NULL DEFAULT '',
  email                text NOT NULL DEFAULT '',
  role_id              uuid NOT NULL REFERENCES roles (id),
  enabled              boolean NOT NULL DEFAULT true,
  -- M2M accounts authenticate with API tokens only.
  m2m                  boolean NOT NULL DEFAULT false,
  password_hash        text,
  must_change_password boolean NOT NULL DEFAULT false,
  created_at           timestamptz NOT NULL DEFAULT now(),
  last_login_at        timestamptz,
  version              int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_username ON users (lower(username));

CREATE TABLE password_history (
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  password_hash text NOT NULL,
  changed_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user ON password_history (user_id, changed_at DESC);

CREATE TABLE project_members (
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

-- A login session: the refresh token and the current access token are stored as SHA-256 hashes only.
CREATE TABLE sessions (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  access_hash       text NOT NULL UNIQUE,
  access_expires_at timestamptz NOT NULL,
  refresh_hash      text NOT NULL UNIQUE,
  expires_at        timestamptz NOT NULL,
  ip                text NOT NULL DEFAULT '',
  user_agent        text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  last_seen_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at        timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- General (seed 003 table 4) and security (table 5) events.
CREATE TABLE events (
  id         bigserial PRIMARY KEY,
  category   text NOT NULL CHECK (category IN ('general', 'security')),
  code       text NOT NULL,
  level      text NOT NULL DEFAULT 'info' CHECK (level IN ('info', 'warning', 'error')),
  at         timestamptz NOT NULL DEFAULT now(),
  project_id uuid REFERENCES projects (id) ON DELETE SET NULL,
  user_id    uuid,
  username   text,
  ip         text,
  params     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_category_at ON events (category, at DESC);

CREATE TABLE service_logs (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  app     text NOT NULL,
  level   text NOT NULL,
  logger  text NOT NULL DEFAULT '',
  message text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX service_logs_at ON service_logs (at DESC);

-- One row: the SMTP server (seed 003 §2.2.30). The password is encrypted with the master key.
CREATE TABLE email_settings (
  id            int PRIMARY KEY CHECK (id = 1),
  sender_email  text NOT NULL DEFAULT '',
  sender_name   text NOT NULL DEFAULT '',
  username      text NOT NULL DEFAULT '',
  password_enc  text,
  smtp_host     text NOT NULL DEFAULT '',
  smtp_port     int NOT NULL DEFAULT 25 CHECK (smtp_port BETWEEN 1 AND 65535),
  security      text NOT NULL DEFAULT 'auto' CHECK (security IN ('auto', 'none', 'ssl', 'starttls')),
  version       int NOT NULL DEFAULT 1
);
INSERT INTO email_settings (id) VALUES (1);
