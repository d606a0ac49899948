/**
 * Test support (imported by tests only): a small warehouse of three meters — devices_dim, 15-minute and end-of-day
 * A+ registers, voltage reads, power-off/on journal entries — as SQL statements to run on a migrated engine.
 */
/** The rows docs/sql.md's results and the dashboards' test queries are computed from (docs/sql.md describes them). */
export const SAMPLE_WAREHOUSE = [
  `INSERT INTO devices_dim (device_id, serial, device_type, status, enabled, project, group_name, profile_id, comm_kind) VALUES
     (101, '00100001', 'CE308', 'IN_USE', true, 'North', 'Feeder 7', 'DL_CE_308', 'CENC'),
     (102, '00100002', 'CE208', 'IN_USE', true, 'North', 'Feeder 7', 'DL_CE_208', 'TCP'),
     (103, '00100003', 'CE308', 'IN_USE', true, 'North', 'Feeder 9', 'DL_CE_308', 'TCP')`,
  'SYSTEM RELOAD DICTIONARY devices',
  // 15-minute A+ register of 2026-11-02 (UTC): meter 101 +100 Wh an interval; meter 102 in 10 Wh units (scaler 1),
  // +50 Wh an interval, 4 intervals missing.
  `INSERT INTO readings (device_id, archive, obis, tariff, ts, raw, scaler, unit, device_tz, source, collected_at)
   SELECT 101, 'profile-15', '1.0.1.8.0.255', 0, toDateTime('2026-11-02 00:00:00', 'UTC') + number * 900, 1000000 + number * 100, 0, 'Wh', 60, 'POLL', '2026-11-03 01:00:00'
   FROM numbers(96)`,
  `INSERT INTO readings (device_id, archive, obis, tariff, ts, raw, scaler, unit, device_tz, source, collected_at)
   SELECT 102, 'profile-15', '1.0.1.8.0.255', 0, toDateTime('2026-11-02 00:00:00', 'UTC') + number * 900, 50000 + number * 5, 1, 'Wh', 60, 'POLL', '2026-11-03 01:00:00'
   FROM numbers(96) WHERE number % 24 != 5`,
  // End-of-day snapshots at local midnight (UTC+1); 101's first one was read twice.
  `INSERT INTO readings (device_id, archive, obis, tariff, ts, raw, scaler, unit, device_tz, source, collected_at) VALUES
     (101, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-01 23:00:00', 1000000, 0, 'Wh', 60, 'POLL', '2026-11-02 01:00:00'),
     (101, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-01 23:00:00', 1000000, 0, 'Wh', 60, 'POLL', '2026-11-02 07:00:00'),
     (101, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-02 23:00:00', 1009600, 0, 'Wh', 60, 'POLL', '2026-11-03 01:00:00'),
     (101, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-03 23:00:00', 1019000, 0, 'Wh', 60, 'POLL', '2026-11-04 01:00:00'),
     (102, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-01 23:00:00', 50000, 1, 'Wh', 60, 'POLL', '2026-11-02 01:00:00'),
     (102, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-02 23:00:00', 50440, 1, 'Wh', 60, 'POLL', '2026-11-03 01:00:00'),
     (102, 'end-of-day', '1.0.1.8.0.255', 0, '2026-11-03 23:00:00', 50900, 1, 'Wh', 60, 'POLL', '2026-11-04 01:00:00')`,
  // Voltage L1 read twice on demand.
  `INSERT INTO readings (device_id, archive, obis, tariff, ts, raw, scaler, unit, device_tz, source, collected_at) VALUES
     (101, 'current', '1.0.32.7.0.255', 0, '2026-11-03 10:00:00', 2301, -1, 'V', 60, 'ON_DEMAND', '2026-11-03 10:00:02'),
     (101, 'current', '1.0.32.7.0.255', 0, '2026-11-03 11:00:00', 2298, -1, 'V', 60, 'ON_DEMAND', '2026-11-03 11:00:02')`,
  // Power-off / power-on journal entries.
  `INSERT INTO events (device_id, journal, ts, code, name, device_tz, source, collected_at) VALUES
     (101, 'power-on-off', '2026-11-02 10:00:00', 1, 'power off', 60, 'POLL', '2026-11-03 01:00:00'),
     (101, 'power-on-off', '2026-11-02 10:45:00', 2, 'power on', 60, 'POLL', '2026-11-03 01:00:00'),
     (102, 'power-on-off', '2026-11-03 08:00:00', 1, 'power off', 60, 'POLL', '2026-11-04 01:00:00'),
     (102, 'power-on-off', '2026-11-03 08:05:00', 2, 'power on', 60, 'POLL', '2026-11-04 01:00:00')`,
];

