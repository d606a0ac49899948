-- Device journal entries (Profile Generic event logs read by collection tasks): one row per (device,
-- journal, device time, event code). Deduplicated as readings are: insert_deduplication_token drops a
-- replayed batch, ReplacingMergeTree(collected_at) collapses re-reads of the same entries at merge time
-- (query with FINAL for exact results before merges).
-- name: the code's name from the code table the device profile names, else 'unknown'. params: the row's other
-- columns as JSON by capture object (OBIS → typed A-XDR value). raw: the row as A-XDR, hex.
CREATE TABLE IF NOT EXISTS events
(
    device_id      UInt64                  CODEC(Delta, ZSTD(1)),
    journal        LowCardinality(String),
    ts             DateTime('UTC')         CODEC(DoubleDelta, ZSTD(1)),
    code           UInt16,
    name           LowCardinality(String),
    params         String                  CODEC(ZSTD(1)),
    raw            String                  CODEC(ZSTD(1)),
    device_tz      Int16                   CODEC(ZSTD(1)),
    source         LowCardinality(String),
    collected_at   DateTime('UTC')         CODEC(DoubleDelta, ZSTD(1)),
    retention_days UInt16                  CODEC(ZSTD(1))
)
ENGINE = ReplacingMergeTree(collected_at)
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, journal, ts, code)
TTL if(retention_days = 0, toDateTime('2106-01-01 00:00:00', 'UTC'), ts + toIntervalDay(retention_days))
SETTINGS non_replicated_deduplication_window = 10000, ttl_only_drop_parts = 0
