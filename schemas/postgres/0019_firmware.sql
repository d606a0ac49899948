-- Firmware updates (docs/firmware.md; seed 003 §2.2.15, §3.6): firmware containers (images) stored once by
-- their SHA-256, updates per device with their progress, statistics and history, and campaigns that roll
-- one image out to devices and groups in waves.
-- Seed 003 table 1 gives the firmware tab to Administrator and Operator (read/write/view), not to User:
-- permissions of their own (table 9 has none), Write including Delete as elsewhere.
INSERT INTO permissions (name, description) VALUES
  ('View.Firmware', 'Display firmware updates'),
  ('Read.Firmware', 'Read firmware containers, updates and campaigns'),
  ('Write.Firmware', 'Upload firmware containers, start and stop updates and campaigns'),
  ('Delete.Firmware', 'Delete firmware containers and updates')
ON CONFLICT (name) DO NOTHING;
INSERT INTO role_permissions (role_id, permission)
  SELECT r.id, p FROM roles r, unnest(ARRAY['View.Firmware', 'Read.Firmware', 'Write.Firmware', 'Delete.Firmware']) p
  WHERE r.builtin AND r.name IN ('Administrator', 'Project Manager', 'Operator')
ON CONFLICT DO NOTHING;

-- The bytes of an image, once however many containers (of any project) carry them.
CREATE TABLE firmware_blobs (
  sha256  text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size    int NOT NULL CHECK (size BETWEEN 1 AND 2097152),
  content bytea NOT NULL
);

-- A firmware container: an image with what it is for. One per (project, SHA-256).
CREATE TABLE firmware_images (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  sha256           text NOT NULL REFERENCES firmware_blobs (sha256),
  name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  vendor           text NOT NULL CHECK (length(vendor) BETWEEN 1 AND 100),
  device_types     text[] NOT NULL CHECK (cardinality(device_types) >= 1),
  version          text NOT NULL CHECK (length(version) BETWEEN 1 AND 100),
  -- image_identifier of image_transfer_initiate (class 18), as the meter expects it.
  image_identifier bytea NOT NULL CHECK (length(image_identifier) BETWEEN 1 AND 255),
  signature        bytea,
  size             int NOT NULL,
  uploaded_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  uploaded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, sha256),
  UNIQUE (project_id, id)
);

CREATE TABLE firmware_campaigns (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id        uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  image_id          uuid NOT NULL,
  device_ids        uuid[] NOT NULL DEFAULT '{}',
  group_ids         uuid[] NOT NULL DEFAULT '{}',
  -- Wave sizes in order, each {"percent": p} or {"count": n}; the last wave takes what is left.
  waves             jsonb NOT NULL,
  -- A wave must reach this share of successes before the next starts; above the error share the campaign stops.
  success_threshold real NOT NULL CHECK (success_threshold BETWEEN 0 AND 1),
  error_threshold   real NOT NULL CHECK (error_threshold BETWEEN 0 AND 1),
  max_parallel      int NOT NULL CHECK (max_parallel BETWEEN 1 AND 10000),
  -- Transfers start only between these local times of the project (both NULL = any time); start > end spans midnight.
  window_start      text CHECK (window_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  window_end        text CHECK (window_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  settings          jsonb NOT NULL DEFAULT '{}',
  state             text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'paused', 'cancelled', 'stopped', 'finished')),
  current_wave      int NOT NULL DEFAULT 0,
  note              text NOT NULL DEFAULT '',
  created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  finished_at       timestamptz,
  version           int NOT NULL DEFAULT 1,
  UNIQUE (project_id, id),
  FOREIGN KEY (project_id, image_id) REFERENCES firmware_images (project_id, id)
);

-- One device's update: added 'stopped' (an operator starts it), 'running' while a scheduler owns it,
-- 'waiting-collection' while a collection session holds the meter, then 'success' or 'error'.
CREATE TABLE firmware_updates (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id       uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  device_id        uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  image_id         uuid NOT NULL,
  campaign_id      uuid REFERENCES firmware_campaigns (id) ON DELETE CASCADE,
  wave             int,
  -- {blockAttempts, attempts, forceClean, versionOnly, maxPdu, activateAt} (scheduler/firmware.ts).
  settings         jsonb NOT NULL DEFAULT '{}',
  state            text NOT NULL DEFAULT 'stopped' CHECK (state IN ('stopped', 'running', 'waiting-collection', 'success', 'error')),
  action           text CHECK (action IN ('version-query', 'clean', 'initiate', 'send-blocks', 'verify', 'activate', 'confirm')),
  -- This HES initiated the image on the meter: what the meter holds of it is kept (resume).
  initiated        boolean NOT NULL DEFAULT false,
  blocks_total     int NOT NULL DEFAULT 0,
  blocks_done      int NOT NULL DEFAULT 0,
  blocks_sent      bigint NOT NULL DEFAULT 0,
  blocks_resent    bigint NOT NULL DEFAULT 0,
  bytes_sent       bigint NOT NULL DEFAULT 0,
  sessions         int NOT NULL DEFAULT 0,
  transfer_ms      bigint NOT NULL DEFAULT 0,
  attempts         int NOT NULL DEFAULT 0,
  -- Not run before this time: the retry delay after a failed session, a scheduled activation, a meter restarting.
  not_before       timestamptz,
  version_before   text,
  version_after    text,
  note             text NOT NULL DEFAULT '',
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  last_activity_at timestamptz,
  -- The scheduler instance running it and its last sign of life; a stale lease is taken over (and resumes).
  claimed_by       text,
  heartbeat_at     timestamptz,
  FOREIGN KEY (project_id, image_id) REFERENCES firmware_images (project_id, id)
);
-- A device has at most one update that is not finished.
CREATE UNIQUE INDEX firmware_updates_open ON firmware_updates (device_id) WHERE state IN ('stopped', 'running', 'waiting-collection');
CREATE INDEX firmware_updates_runnable ON firmware_updates (heartbeat_at) WHERE state IN ('running', 'waiting-collection');
CREATE INDEX firmware_updates_project ON firmware_updates (project_id, created_at DESC);
CREATE INDEX firmware_updates_campaign ON firmware_updates (campaign_id, wave) WHERE campaign_id IS NOT NULL;

-- What happened to each update: every state and action change, with a note.
CREATE TABLE firmware_update_history (
  id        bigserial PRIMARY KEY,
  update_id uuid NOT NULL REFERENCES firmware_updates (id) ON DELETE CASCADE,
  device_id uuid NOT NULL,
  at        timestamptz NOT NULL DEFAULT now(),
  state     text NOT NULL,
  action    text,
  note      text NOT NULL DEFAULT ''
);
CREATE INDEX firmware_update_history_update ON firmware_update_history (update_id, id);
CREATE INDEX firmware_update_history_device ON firmware_update_history (device_id, at DESC);
