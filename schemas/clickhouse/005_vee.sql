-- VEE (docs/vee.md): validation results, and the versions of readings that estimation and editing add.
-- `readings` keeps what meters sent, untouched; a reading's other versions are rows here.

-- Other versions of a reading: an estimate (of a missing interval), an edit (a replaced value) or a
-- confirmation (the measured value declared right). `version` is the creation time in milliseconds and is
-- part of the key: every version stays (the history), while the same version stored twice (a replayed
-- insert) still collapses. The value in force (readings_vee): the latest edit or confirmation, else the
-- measured value, else the latest estimate — so a real value arriving after an estimate wins by itself.
CREATE TABLE IF NOT EXISTS reading_versions
(
    device_id   UInt64                  CODEC(Delta, ZSTD(1)),
    archive     LowCardinality(String),
    obis        LowCardinality(String),
    tariff      UInt8,
    ts          DateTime('UTC')         CODEC(DoubleDelta, ZSTD(1)),
    version     UInt64                  CODEC(Delta, ZSTD(1)),
    kind        Enum8('estimated' = 1, 'edited' = 2, 'confirmed' = 3),
    -- estimated: linear, profile; edited/confirmed: manual
    method      LowCardinality(String),
    raw         Int64                   CODEC(Delta, ZSTD(1)),
    scaler      Int8,
    unit        LowCardinality(String),
    user_name   String,
    reason      String                  CODEC(ZSTD(1)),
    created_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(created_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, archive, obis, tariff, ts, version);

-- Validation failures per reading and rule code. A re-validation of a range writes a row with cleared = 1
-- for a failure that no longer holds; the latest row per key wins (query with FINAL and cleared = 0).
CREATE TABLE IF NOT EXISTS validation_results
(
    device_id    UInt64                  CODEC(Delta, ZSTD(1)),
    archive      LowCardinality(String),
    obis         LowCardinality(String),
    tariff       UInt8,
    ts           DateTime('UTC')         CODEC(DoubleDelta, ZSTD(1)),
    code         LowCardinality(String),
    severity     Enum8('info' = 1, 'warning' = 2, 'error' = 3),
    detail       String                  CODEC(ZSTD(1)),
    cleared      UInt8,
    validated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(validated_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, archive, obis, tariff, ts, code);

-- The value in force of every reading, with its status: measured, estimated (method linear or profile),
-- edited or confirmed. Ranks: estimate 0 < measured 1 < edit/confirmation 2; within a rank the latest
-- version (for measured rows: the latest collection) wins, which deduplicates re-reads without FINAL.
CREATE VIEW IF NOT EXISTS readings_vee AS
SELECT
    device_id,
    archive,
    obis,
    tariff,
    ts,
    argMax(v_raw, (rank, version)) AS raw,
    argMax(v_scaler, (rank, version)) AS scaler,
    if(scaler < 0, raw / exp10(-scaler), raw * exp10(scaler)) AS value,
    argMax(v_unit, (rank, version)) AS unit,
    argMax(v_status, (rank, version)) AS status,
    argMax(v_method, (rank, version)) AS method,
    max(rank = 1) AS measured
FROM
(
    SELECT device_id, archive, obis, tariff, ts, raw AS v_raw, scaler AS v_scaler, unit AS v_unit, 'measured' AS v_status, '' AS v_method, 1 AS rank,
           toUInt64(collected_at) * 1000 AS version
    FROM readings
    UNION ALL
    SELECT device_id, archive, obis, tariff, ts, raw AS v_raw, scaler AS v_scaler, unit AS v_unit, toString(kind) AS v_status, toString(method) AS v_method,
           if(kind = 'estimated', 0, 2) AS rank, version
    FROM reading_versions
)
GROUP BY device_id, archive, obis, tariff, ts;

-- Validation failures in force (each reading and code once, cleared ones left out), with the meter's serial.
CREATE VIEW IF NOT EXISTS validation_failures AS
SELECT
    device_id,
    dictGetOrDefault('devices', 'serial', device_id, '') AS serial,
    dictGetOrDefault('devices', 'project_id', device_id, '') AS project_id,
    archive, obis, tariff, ts, code, severity, detail, validated_at
FROM validation_results FINAL
WHERE cleared = 0;
