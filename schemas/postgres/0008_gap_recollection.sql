-- Gap re-collection (scheduler/gaps.ts): a finished launch is checked once for missing readings, and its
-- gaps are read again by a launch of the same task with trigger 'gap' that names the launch it repairs and
-- says per device which archive ranges to read.
ALTER TABLE task_launches DROP CONSTRAINT task_launches_trigger_check;
ALTER TABLE task_launches ADD CONSTRAINT task_launches_trigger_check CHECK (trigger IN ('schedule', 'manual', 'one-off', 'gap'));
ALTER TABLE task_launches ADD COLUMN source_launch_id uuid REFERENCES task_launches (id) ON DELETE SET NULL;
-- At most one re-collection per launch, even with several schedulers checking.
CREATE UNIQUE INDEX task_launches_source ON task_launches (source_launch_id);
-- When the launch's gaps were looked for; launches finished before this migration count as checked.
ALTER TABLE task_launches ADD COLUMN gaps_checked_at timestamptz;
UPDATE task_launches SET gaps_checked_at = coalesce(finished_at, now()) WHERE state = 'finished';
CREATE INDEX task_launches_gaps_due ON task_launches (finished_at) WHERE state = 'finished' AND gaps_checked_at IS NULL;
-- A re-collection's reads for this device: [{archive, tags, ranges: [{fromMs, toMs}]}].
ALTER TABLE launch_devices ADD COLUMN reads jsonb;
