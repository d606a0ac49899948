-- Power outages of devices: started by a last gasp (CENC's GASP: line, a power-down push), ended by the
-- first communication after it (the meter connecting to CENC again, any frame of it reaching the pipeline).
-- At most one open outage per device; a last gasp during an open outage changes nothing.
CREATE TABLE device_outages (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id     uuid NOT NULL,
  project_id    uuid NOT NULL,
  started_at    timestamptz NOT NULL,
  -- What told: 'last-gasp' (CENC GASP line), 'power-down-push'.
  started_by    text NOT NULL CHECK (started_by IN ('last-gasp', 'power-down-push')),
  ended_at      timestamptz CHECK (ended_at >= started_at),
  -- 'connected' (CENC), 'communication' (a frame of the device: a push, a session's data).
  ended_by      text CHECK (ended_by IN ('connected', 'communication')),
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX device_outages_open ON device_outages (device_id) WHERE ended_at IS NULL;
CREATE INDEX device_outages_device ON device_outages (device_id, started_at DESC);

-- A project's severities of events by name, over the device profiles' eventSeverities.
ALTER TABLE control_settings ADD COLUMN event_severities jsonb NOT NULL DEFAULT '{}';
