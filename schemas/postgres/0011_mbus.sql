-- M-Bus and wireless M-Bus (docs/mbus.md): channel kinds for M-Bus-to-TCP converters (MBUS_TCP) and
-- wireless M-Bus gateways (WMBUS), the MBUS protocol, M-Bus meters (water, heat, gas, heat cost
-- allocators) as a device type, per-meter AES-128 keys (security_keys kind MBUS_AES, sealed with the master
-- key like every key), and the meters gateways hear that no comm line names yet (listed for registration).
ALTER TABLE channels DROP CONSTRAINT channels_kind_check;
ALTER TABLE channels ADD CONSTRAINT channels_kind_check CHECK (kind IN ('TCP', 'CENC', 'UNB', 'LORAWAN', 'SERIAL', 'MBUS_TCP', 'WMBUS'));
ALTER TABLE protocols DROP CONSTRAINT protocols_kind_check;
ALTER TABLE protocols ADD CONSTRAINT protocols_kind_check CHECK (kind IN ('DLMS', 'SMP_M', 'MBUS'));
ALTER TABLE devices DROP CONSTRAINT devices_type_check;
ALTER TABLE devices ADD CONSTRAINT devices_type_check CHECK (type IN ('CE207', 'CE307', 'CE208', 'CE308', 'CE510', 'UNIVERSAL', 'MBUS'));
ALTER TABLE security_keys DROP CONSTRAINT security_keys_kind_check;
ALTER TABLE security_keys ADD CONSTRAINT security_keys_kind_check
  CHECK (kind IN ('DLMS_GUEK', 'DLMS_GAK', 'DLMS_MASTER', 'DLMS_DEDICATED', 'XTEA_UPLINK', 'XTEA_DOWNLINK', 'MBUS_AES'));

-- Telegrams of meters no comm line of the project names: one row per meter address, counted; installers
-- register meters by what the air shows. Written in batches by the wM-Bus intake (ingest/wmbus).
CREATE TABLE wmbus_unknown_meters (
  project_id    uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  manufacturer  text NOT NULL,
  meter_id      text NOT NULL,
  version       int NOT NULL,
  device_type   int NOT NULL,
  first_seen    timestamptz NOT NULL,
  last_seen     timestamptz NOT NULL,
  telegrams     bigint NOT NULL DEFAULT 0,
  security_mode int NOT NULL DEFAULT 0,
  last_gateway  text NOT NULL DEFAULT '',
  last_rssi     int,
  PRIMARY KEY (project_id, manufacturer, meter_id, version, device_type)
);
CREATE INDEX wmbus_unknown_meters_seen ON wmbus_unknown_meters (project_id, last_seen DESC);
