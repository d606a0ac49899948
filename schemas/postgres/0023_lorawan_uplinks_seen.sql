-- LoRaWAN uplinks taken, by (DevEUI, fCnt), so that an uplink delivered again after a restart of the HES (an MQTT
-- redelivery, ChirpStack retrying the HTTP integration) is not stored twice. Bounded: a pair older than the
-- intake's window does not count and is deleted; a device's join clears its pairs (its fCnt starts again).
CREATE TABLE lorawan_uplinks_seen (
  dev_eui          text NOT NULL,
  f_cnt            bigint NOT NULL,
  deduplication_id text NOT NULL,
  seen_at          timestamptz NOT NULL,
  PRIMARY KEY (dev_eui, f_cnt)
);
CREATE INDEX lorawan_uplinks_seen_at ON lorawan_uplinks_seen (seen_at);
