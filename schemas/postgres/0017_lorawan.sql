-- LoRaWAN through ChirpStack v4 (docs/lorawan.md): a LORAWAN channel is one ChirpStack application (its id and
-- how its uplinks arrive: the MQTT or the HTTP integration); a comm line names a device by its DevEUI; the
-- LORAWAN protocol and device type; the DevEUIs the application's uplinks carry that no comm line names yet.
ALTER TABLE protocols DROP CONSTRAINT protocols_kind_check;
ALTER TABLE protocols ADD CONSTRAINT protocols_kind_check CHECK (kind IN ('DLMS', 'SMP_M', 'MBUS', 'LORAWAN'));
ALTER TABLE devices DROP CONSTRAINT devices_type_check;
ALTER TABLE devices ADD CONSTRAINT devices_type_check CHECK (type IN ('CE207', 'CE307', 'CE208', 'CE308', 'CE510', 'UNIVERSAL', 'MBUS', 'LORAWAN'));
-- The settings a LORAWAN channel had before (one device per channel) name no application the intake could use.
UPDATE channels SET settings = (settings - 'devEui' - 'fPort' - 'confirmed') || '{"integration": "mqtt"}'
 WHERE kind = 'LORAWAN' AND settings ? 'devEui';

-- Uplinks of DevEUIs no comm line of the project names: one row per device, counted; written in batches by
-- the ChirpStack intake (ingest/chirpstack).
CREATE TABLE lorawan_unknown_devices (
  project_id     uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  dev_eui        text NOT NULL,
  application_id text NOT NULL,
  device_name    text NOT NULL DEFAULT '',
  device_profile text NOT NULL DEFAULT '',
  first_seen     timestamptz NOT NULL,
  last_seen      timestamptz NOT NULL,
  uplinks        bigint NOT NULL DEFAULT 0,
  last_f_cnt     bigint,
  last_rssi      int,
  last_snr       real,
  PRIMARY KEY (project_id, dev_eui)
);
CREATE INDEX lorawan_unknown_devices_seen ON lorawan_unknown_devices (project_id, last_seen DESC);
