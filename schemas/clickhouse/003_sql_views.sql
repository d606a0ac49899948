-- SQL interface for data engineers and Grafana (docs/sql.md): names of the measured quantities, the
-- devices of the registry, and views over `readings` in physical values. The views read the base tables
-- at query time (no materialised copy), so they cost the pipeline nothing.

-- What each OBIS quantity is: keyed by the first four OBIS groups A.B.C.D (medium, channel, quantity,
-- processing); the tariff (E) is the readings' `tariff` column. kind: cumulative (a register that only
-- grows: daily consumption is its difference), interval (the energy of one profile period), instantaneous.
CREATE TABLE IF NOT EXISTS obis_quantities
(
    quantity String,
    name     String,
    short    String,
    kind     Enum8('cumulative' = 1, 'interval' = 2, 'instantaneous' = 3)
)
ENGINE = ReplacingMergeTree
ORDER BY quantity;

INSERT INTO obis_quantities VALUES
    ('1.0.1.8', 'Active energy import', 'A+', 'cumulative'),
    ('1.0.2.8', 'Active energy export', 'A-', 'cumulative'),
    ('1.0.3.8', 'Reactive energy import', 'R+', 'cumulative'),
    ('1.0.4.8', 'Reactive energy export', 'R-', 'cumulative'),
    ('1.0.1.29', 'Active energy import in the period', 'A+ period', 'interval'),
    ('1.0.2.29', 'Active energy export in the period', 'A- period', 'interval'),
    ('1.0.3.29', 'Reactive energy import in the period', 'R+ period', 'interval'),
    ('1.0.4.29', 'Reactive energy export in the period', 'R- period', 'interval'),
    ('1.0.1.7', 'Active power import', 'P+', 'instantaneous'),
    ('1.0.2.7', 'Active power export', 'P-', 'instantaneous'),
    ('1.0.3.7', 'Reactive power import', 'Q+', 'instantaneous'),
    ('1.0.4.7', 'Reactive power export', 'Q-', 'instantaneous'),
    ('1.0.16.7', 'Active power, sum of phases', 'P', 'instantaneous'),
    ('1.0.13.7', 'Power factor', 'PF', 'instantaneous'),
    ('1.0.14.7', 'Frequency', 'f', 'instantaneous'),
    ('1.0.32.7', 'Voltage L1', 'U L1', 'instantaneous'),
    ('1.0.52.7', 'Voltage L2', 'U L2', 'instantaneous'),
    ('1.0.72.7', 'Voltage L3', 'U L3', 'instantaneous'),
    ('1.0.31.7', 'Current L1', 'I L1', 'instantaneous'),
    ('1.0.51.7', 'Current L2', 'I L2', 'instantaneous'),
    ('1.0.71.7', 'Current L3', 'I L3', 'instantaneous'),
    ('1.0.91.7', 'Current in neutral', 'I N', 'instantaneous'),
    ('1.0.36.7', 'Active power import L1', 'P+ L1', 'instantaneous'),
    ('1.0.56.7', 'Active power import L2', 'P+ L2', 'instantaneous'),
    ('1.0.76.7', 'Active power import L3', 'P+ L3', 'instantaneous'),
    ('1.0.33.7', 'Power factor L1', 'PF L1', 'instantaneous'),
    ('1.0.53.7', 'Power factor L2', 'PF L2', 'instantaneous'),
    ('1.0.73.7', 'Power factor L3', 'PF L3', 'instantaneous'),
    ('6.0.1.0', 'Heat energy', 'Heat', 'cumulative'),
    ('6.0.2.0', 'Heat meter volume', 'Heat volume', 'cumulative'),
    ('6.0.8.0', 'Heat power', 'Heat power', 'instantaneous'),
    ('6.0.9.0', 'Heat meter flow rate', 'Heat flow', 'instantaneous'),
    ('6.0.10.0', 'Flow temperature', 'T flow', 'instantaneous'),
    ('6.0.11.0', 'Return temperature', 'T return', 'instantaneous'),
    ('6.0.12.0', 'Temperature difference', 'dT', 'instantaneous'),
    ('7.0.3.0', 'Gas volume', 'Gas', 'cumulative'),
    ('8.0.1.0', 'Water volume', 'Water', 'cumulative');

CREATE DICTIONARY IF NOT EXISTS obis_quantities_dict
(
    quantity String,
    name     String,
    short    String,
    kind     String
)
PRIMARY KEY quantity
SOURCE(CLICKHOUSE(TABLE 'obis_quantities'))
LIFETIME(MIN 300 MAX 600)
LAYOUT(COMPLEX_KEY_HASHED());

-- The devices of the registry, one row per device, written by the HES (sinks/clickhouse/devices-dim.ts):
-- a complete copy whenever the registry changed, swapped in atomically. device_id is the registry's
-- `devices.num`, the id the readings carry. channel_kinds/profiles: those of the device's enabled comm
-- lines, by priority (comm_kind/profile_id: the first).
CREATE TABLE IF NOT EXISTS devices_dim
(
    device_id     UInt64,
    device_uuid   String,
    serial        String,
    device_type   LowCardinality(String),
    status        LowCardinality(String),
    enabled       Bool,
    project_id    String,
    project       String,
    project_tz    String,
    group_id      String,
    group_name    String,
    profile_id    LowCardinality(String),
    comm_kind     LowCardinality(String),
    profile_ids   Array(String),
    channel_kinds Array(String),
    synced_at     DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY device_id;

-- Keyed by device_id: dictGet('devices', 'serial', device_id) names a reading's meter without a join.
CREATE DICTIONARY IF NOT EXISTS devices
(
    device_id   UInt64,
    device_uuid String,
    serial      String,
    device_type String,
    status      String,
    project_id  String,
    project     String,
    group_id    String,
    group_name  String,
    profile_id  String,
    comm_kind   String
)
PRIMARY KEY device_id
SOURCE(CLICKHOUSE(TABLE 'devices_dim'))
LIFETIME(MIN 60 MAX 300)
LAYOUT(HASHED());

-- Readings in physical units (raw × 10^scaler; a negative scaler divides, so 2301 and -1 give exactly 230.1),
-- deduplicated (FINAL: re-reads and replays count once),
-- with the quantity's name and the meter's serial, project and group. Filter on device_id/ts to read
-- only the parts that hold them.
CREATE VIEW IF NOT EXISTS readings_physical AS
SELECT
    device_id,
    dictGetOrDefault('devices', 'serial', device_id, '') AS serial,
    dictGetOrDefault('devices', 'project', device_id, '') AS project,
    dictGetOrDefault('devices', 'group_name', device_id, '') AS group_name,
    archive,
    obis,
    tariff,
    arrayStringConcat(arraySlice(splitByChar('.', toString(obis)), 1, 4), '.') AS quantity,
    dictGetOrDefault('obis_quantities_dict', 'name', tuple(quantity), '') AS quantity_name,
    dictGetOrDefault('obis_quantities_dict', 'short', tuple(quantity), '') AS quantity_short,
    dictGetOrDefault('obis_quantities_dict', 'kind', tuple(quantity), '') AS quantity_kind,
    reading_type,
    ts,
    if(scaler < 0, raw / exp10(-scaler), raw * exp10(scaler)) AS value,
    unit,
    quality,
    device_status,
    device_tz,
    source,
    collected_at
FROM readings FINAL;

-- The latest value of every register: per device, archive, OBIS and tariff, the value with the latest
-- timestamp (of two readings at the same timestamp, the one collected last).
CREATE VIEW IF NOT EXISTS latest_readings AS
SELECT
    device_id,
    dictGetOrDefault('devices', 'serial', device_id, '') AS serial,
    archive,
    obis,
    tariff,
    max(r.ts) AS ts,
    argMax(if(r.scaler < 0, r.raw / exp10(-r.scaler), r.raw * exp10(r.scaler)), (r.ts, r.collected_at)) AS value,
    argMax(r.unit, (r.ts, r.collected_at)) AS unit,
    argMax(r.quality, (r.ts, r.collected_at)) AS quality,
    max(r.collected_at) AS collected_at
FROM readings AS r
GROUP BY device_id, archive, obis, tariff;

-- Daily consumption of cumulative registers from the end-of-day archive (the meter's register snapshot at
-- its local midnight): the consumption of local day D is the snapshot at the end of D minus the snapshot at
-- its start. Days are the meter's local days (ts + device_tz), so a daylight-saving day of 23 or 25 hours
-- still counts; a day counts only when both snapshots exist on consecutive local days. A negative
-- difference (a register replaced or reset) is kept with `negative` = 1 for the caller to exclude.
CREATE VIEW IF NOT EXISTS daily_consumption AS
SELECT
    device_id,
    dictGetOrDefault('devices', 'serial', device_id, '') AS serial,
    obis,
    tariff,
    toDate(start_local) AS day,
    end_value - start_value AS consumption,
    unit,
    end_value < start_value AS negative
FROM
(
    SELECT
        device_id,
        obis,
        tariff,
        unit,
        ts + toIntervalMinute(device_tz) AS end_local,
        lagInFrame(ts + toIntervalMinute(device_tz), 1, toDateTime(0, 'UTC')) OVER w AS start_local,
        if(scaler < 0, raw / exp10(-scaler), raw * exp10(scaler)) AS end_value,
        lagInFrame(end_value, 1, nan) OVER w AS start_value
    FROM readings FINAL
    WHERE archive = 'end-of-day'
      AND dictGetOrDefault('obis_quantities_dict', 'kind', tuple(arrayStringConcat(arraySlice(splitByChar('.', toString(obis)), 1, 4), '.')), '') = 'cumulative'
    WINDOW w AS (PARTITION BY device_id, obis, tariff ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
)
WHERE toDate(end_local) - toDate(start_local) = 1;
