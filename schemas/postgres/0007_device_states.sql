-- Readings go through the pipeline into ClickHouse now (schemas/clickhouse); the registry copy goes.
DROP TABLE readings;

-- Device states (seed 003 §2.2.29: time, configuration, state, information, relay), stored only when they
-- change: the last value per device, archive and state code, and a history row per change. A read that
-- finds the same value only moves read_at.
CREATE TABLE device_states (
  device_id  uuid NOT NULL,
  project_id uuid NOT NULL,
  archive    text NOT NULL,
  code       text NOT NULL,
  value      jsonb NOT NULL,
  -- When the current value was first read, and the latest read that found it (server time).
  changed_at timestamptz NOT NULL,
  read_at    timestamptz NOT NULL,
  PRIMARY KEY (device_id, archive, code),
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE
);

CREATE TABLE device_state_history (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id  uuid NOT NULL,
  project_id uuid NOT NULL,
  archive    text NOT NULL,
  code       text NOT NULL,
  value      jsonb NOT NULL,
  changed_at timestamptz NOT NULL,
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE
);
CREATE INDEX device_state_history_device ON device_state_history (device_id, changed_at DESC);
