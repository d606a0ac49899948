-- Outbound notifications (docs/notifications.md): rules per project that send stored device events to
-- email, webhooks or an SMS gateway, and a record of every notification (sent, failed = the dead-letter
-- list, suppressed as a duplicate or in a quiet period).
INSERT INTO permissions (name, description) VALUES
  ('Read.Notifications', 'Read notification rules and sent notifications'),
  ('Write.Notifications', 'Add and change notification rules, replay failed notifications'),
  ('Delete.Notifications', 'Delete notification rules')
ON CONFLICT (name) DO NOTHING;
INSERT INTO role_permissions (role_id, permission)
  SELECT r.id, p FROM roles r, unnest(ARRAY['Read.Notifications', 'Write.Notifications', 'Delete.Notifications']) p
  WHERE r.builtin AND r.name IN ('Administrator', 'Project Manager')
ON CONFLICT DO NOTHING;
INSERT INTO role_permissions (role_id, permission) SELECT id, 'Read.Notifications' FROM roles WHERE builtin AND name = 'Operator' ON CONFLICT DO NOTHING;

CREATE TABLE notification_rules (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  enabled        boolean NOT NULL DEFAULT true,
  -- An event matches when its code or its severity is listed (and its device is in one of the groups, if any).
  event_codes    int[] NOT NULL DEFAULT '{}',
  severities     text[] NOT NULL DEFAULT '{}',
  group_ids      uuid[] NOT NULL DEFAULT '{}',
  channel        text NOT NULL CHECK (channel IN ('email', 'webhook', 'sms')),
  -- Where to: recipients, url, method, headers, body template (no secrets).
  target         jsonb NOT NULL,
  -- The webhook's signing secret or the SMS gateway's credential, encrypted with the master key.
  secret_enc     text,
  -- Daily quiet period 'HH:MM'..'HH:MM' in the project's time zone (wraps midnight when from > to).
  quiet_from     text,
  quiet_to       text,
  dedup_seconds  int NOT NULL DEFAULT 3600 CHECK (dedup_seconds BETWEEN 0 AND 604800),
  created_at     timestamptz NOT NULL DEFAULT now(),
  version        int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX notification_rules_name ON notification_rules (project_id, lower(name));

CREATE TABLE notification_deliveries (
  id              bigserial PRIMARY KEY,
  project_id      uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  rule_id         uuid REFERENCES notification_rules (id) ON DELETE SET NULL,
  channel         text NOT NULL,
  recipient       text NOT NULL,
  device_id       uuid,
  event_code      int NOT NULL,
  event_at        timestamptz NOT NULL,
  status          text NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'suppressed')),
  -- suppressed: 'duplicate' or 'quiet-period'; failed (and pending retries): the last error.
  reason          text,
  attempts        int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  created_at      timestamptz NOT NULL,
  sent_at         timestamptz,
  -- What is sent (the event and its device), kept so a replay sends the same.
  payload         jsonb NOT NULL
);
CREATE INDEX notification_deliveries_project ON notification_deliveries (project_id, id DESC);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_deliveries_recent ON notification_deliveries (rule_id, device_id, event_code, created_at DESC);
