-- Clock sync leaves a meter's clock alone when it is off by less than this (each write is a "time set"
-- entry in the meter's journal and may disturb the interval it falls in); the drift is recorded either way.
ALTER TABLE control_settings ADD COLUMN clock_min_drift_seconds int NOT NULL DEFAULT 5 CHECK (clock_min_drift_seconds BETWEEN 0 AND 86400);
