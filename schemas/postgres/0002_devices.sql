-- Devices and how to reach them (BRIEF §4; seed 003 §2.2.5–2.2.13, §2.2.29, CENC, appendix 1).
-- Every project-owned table carries project_id; every query filters on it.

CREATE TABLE device_groups (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '',
  is_default  boolean NOT NULL DEFAULT false,
  version     int NOT NULL DEFAULT 1,
  UNIQUE (project_id, id)
);
CREATE UNIQUE INDEX device_groups_name ON device_groups (project_id, lower(name));
-- Exactly one default group per project: at most one by this index, at least one by the code.
CREATE UNIQUE INDEX device_groups_default ON device_groups (project_id) WHERE is_default;

CREATE TABLE devices (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id    uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  serial_number text NOT NULL CHECK (length(serial_number) BETWEEN 1 AND 100),
  type          text NOT NULL CHECK (type IN ('CE207', 'CE307', 'CE208', 'CE308', 'CE510', 'UNIVERSAL')),
  status        text NOT NULL DEFAULT 'IN_USE' CHECK (status IN ('IN_USE', 'STOCK', 'REMOVED')),
  enabled       boolean NOT NULL DEFAULT true,
  source        text NOT NULL DEFAULT 'MANUAL' CHECK (source IN ('MANUAL', 'IMPORTED', 'SELF_REGISTERED')),
  group_id      uuid NOT NULL,
  added_at      timestamptz NOT NULL DEFAULT now(),
  last_gasp_at  timestamptz,
  version       int NOT NULL DEFAULT 1,
  UNIQUE (project_id, id),
  FOREIGN KEY (project_id, group_id) REFERENCES device_groups (project_id, id)
);
CREATE UNIQUE INDEX devices_serial_type ON devices (project_id, serial_number, type);
CREATE INDEX devices_group ON devices (group_id);

CREATE TABLE channels (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind       text NOT NULL CHECK (kind IN ('TCP', 'CENC', 'UNB', 'LORAWAN', 'SERIAL')),
  -- "Monopoly" access: one session at a time on this channel.
  exclusive  boolean NOT NULL DEFAULT false,
  settings   jsonb NOT NULL DEFAULT '{}',
  version    int NOT NULL DEFAULT 1,
  UNIQUE (project_id, id)
);
CREATE UNIQUE INDEX channels_name ON channels (project_id, lower(name));

CREATE TABLE protocols (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  kind        text NOT NULL CHECK (kind IN ('DLMS', 'SMP_M')),
  settings    jsonb NOT NULL DEFAULT '{}',
  -- Passwords and keys: AES-256-GCM with the master key, never in `settings`.
  secrets_enc text,
  version     int NOT NULL DEFAULT 1,
  UNIQUE (project_id, id)
);
CREATE UNIQUE INDEX protocols_name ON protocols (project_id, lower(name));

-- Device profiles (drivers) are data shipped in registry/profiles/*.json and loaded at start.
CREATE TABLE device_profiles (
  id           text PRIMARY KEY,
  name         text NOT NULL,
  device_types text[] NOT NULL,
  protocol     text NOT NULL,
  protocol_maps text[] NOT NULL,
  body         jsonb NOT NULL
);

CREATE TABLE comm_lines (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  device_id   uuid NOT NULL,
  channel_id  uuid NOT NULL,
  protocol_id uuid NOT NULL,
  profile_id  text REFERENCES device_profiles (id),
  protocol_map text NOT NULL DEFAULT '',
  priority    int NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 999),
  address     text NOT NULL DEFAULT '',
  enabled     boolean NOT NULL DEFAULT true,
  attempts    int NOT NULL DEFAULT 3 CHECK (attempts BETWEEN 1 AND 100),
  version     int NOT NULL DEFAULT 1,
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE,
  FOREIGN KEY (project_id, channel_id) REFERENCES channels (project_id, id),
  FOREIGN KEY (project_id, protocol_id) REFERENCES protocols (project_id, id)
);
CREATE INDEX comm_lines_device ON comm_lines (device_id);
CREATE INDEX comm_lines_channel ON comm_lines (channel_id);
CREATE INDEX comm_lines_protocol ON comm_lines (protocol_id);

-- Measurement, event and state archives (seed 003 §2.2.29): system-wide, the defaults seeded at start.
CREATE TABLE archives (
  id                text PRIMARY KEY,
  kind              text NOT NULL CHECK (kind IN ('measurement', 'event', 'state')),
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  is_default        boolean NOT NULL DEFAULT false,
  active            boolean NOT NULL DEFAULT true,
  retention_seconds bigint NOT NULL CHECK (retention_seconds > 0),
  never_purge       boolean NOT NULL DEFAULT false,
  settings          jsonb NOT NULL DEFAULT '{}',
  version           int NOT NULL DEFAULT 1
);

-- CENC: devices registering on a listening port join this project.
CREATE TABLE port_bindings (
  port       int PRIMARY KEY CHECK (port BETWEEN 1 AND 65535),
  project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- CENC AMR agents: named clients allowed to open sessions to connected meters of some groups.
CREATE TABLE amr_agents (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id    uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  password_hash text NOT NULL,
  group_ids     uuid[] NOT NULL DEFAULT '{}',
  version       int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX amr_agents_name ON amr_agents (lower(name));

-- DLMS security suite keys and system titles, SMP-M XTEA keys: the key bytes encrypted at rest.
CREATE TABLE security_keys (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  device_id    uuid,
  kind         text NOT NULL CHECK (kind IN ('DLMS_GUEK', 'DLMS_GAK', 'DLMS_MASTER', 'DLMS_DEDICATED', 'XTEA_UPLINK', 'XTEA_DOWNLINK')),
  system_title text,
  key_enc      text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  version      int NOT NULL DEFAULT 1,
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX security_keys_device_kind ON security_keys (project_id, device_id, kind);
