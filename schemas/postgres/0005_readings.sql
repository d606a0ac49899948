-- Readings collected by the scheduler when no pipeline (bus → ClickHouse) is bound: what the data API shows.
-- One row per device, archive, OBIS code and device time; a re-read of the same interval replaces it, so
-- repeated or resumed launches never double data.
CREATE TABLE readings (
  device_id   uuid NOT NULL,
  project_id  uuid NOT NULL,
  archive     text NOT NULL,
  code        text NOT NULL,
  tag         text,
  device_time timestamptz NOT NULL,
  value       jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, archive, code, device_time),
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE
);

-- Invocation counters of ciphered sessions per device and key (ingest/session/counters.ts): a counter value is
-- never used twice with one key, across sessions and restarts; the meter's last counters guard against replay.
CREATE TABLE invocation_counters (
  device_id          uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  key_id             text NOT NULL,
  invocation_counter bigint NOT NULL CHECK (invocation_counter >= 0),
  replay_guard       jsonb,
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, key_id)
);
