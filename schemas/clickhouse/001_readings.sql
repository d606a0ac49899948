-- Interval and register readings: one row per (device, archive, OBIS, tariff, timestamp).
-- Sorting key puts one channel's series together, so timestamps are a constant step (DoubleDelta → ~0
-- bits) and cumulative registers grow by the interval consumption (Delta → small numbers for ZSTD).
-- Per-frame context (archive, source, collected_at, ...) repeats within a series and compresses to
-- almost nothing. ReplacingMergeTree collapses re-reads and replays to one row per key at merge time;
-- insert_deduplication_token (non_replicated_deduplication_window) drops a replayed batch at insert.
-- The value is stored as the raw integer and its scaler; `value` computes the physical number.
-- retention_days comes with each frame from its archive's retention depth (BRIEF §4); 0 = never purge
-- (DateTime ends in 2106, so "never" is a fixed far date rather than ts + a century).
CREATE TABLE IF NOT EXISTS readings
(
    device_id      UInt64                  CODEC(Delta, ZSTD(1)),
    archive        LowCardinality(String),
    obis           LowCardinality(String),
    reading_type   LowCardinality(String),
    tariff         UInt8,
    ts             DateTime('UTC')         CODEC(DoubleDelta, ZSTD(1)),
    raw            Int64                   CODEC(Delta, ZSTD(1)),
    scaler         Int8,
    value          Float64 ALIAS raw * exp10(scaler),
    unit           LowCardinality(String),
    quality        UInt8                   CODEC(ZSTD(1)),
    device_status  UInt8                   CODEC(ZSTD(1)),
    device_tz      Int16                   CODEC(ZSTD(1)),
    source         LowCardinality(String),
    collected_at   DateTime('UTC')         CODEC(DoubleDelta, ZSTD(1)),
    retention_days UInt16                  CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(collected_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, archive, obis, tariff, ts)
TTL if(retention_days = 0, toDateTime('2106-01-01 00:00:00', 'UTC'), ts + toIntervalDay(retention_days))
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 0
