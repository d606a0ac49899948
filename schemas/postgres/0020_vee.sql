-- VEE settings of a project (docs/vee.md): its validation rules as data (a JSON list of {code, severity,
-- archive, obis, params}, checked by the API; NULL = the built-in defaults) and its estimation limits.
CREATE TABLE vee_settings (
  project_id             uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  rules                  jsonb,
  -- gaps of up to this many intervals are interpolated linearly; longer ones from the weekday profile
  linear_max_intervals   int NOT NULL DEFAULT 4 CHECK (linear_max_intervals BETWEEN 0 AND 96),
  -- how many past weeks of the same weekday make the profile
  profile_weeks          int NOT NULL DEFAULT 4 CHECK (profile_weeks BETWEEN 1 AND 12),
  version                int NOT NULL DEFAULT 1,
  updated_at             timestamptz NOT NULL DEFAULT now()
);
