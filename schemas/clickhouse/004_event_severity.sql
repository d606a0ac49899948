-- The severity of an event (critical, major, minor, info): from the device profile's eventSeverities by the
-- event's name, overridable per project; '' when neither names it. Rows written before stay ''.
ALTER TABLE events ADD COLUMN IF NOT EXISTS severity LowCardinality(String) DEFAULT '';
