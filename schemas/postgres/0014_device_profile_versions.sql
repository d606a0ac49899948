-- Device profiles become registry data (docs/profiles.md): each profile keeps every version it had, the
-- shipped ones (builtin, read-only) seeded from registry/profiles/*.json, the custom ones created through
-- the API. device_profiles holds the latest version's fields for lists and checks; a version never changes.
ALTER TABLE device_profiles
  ADD COLUMN builtin    boolean NOT NULL DEFAULT false,
  ADD COLUMN version    int NOT NULL DEFAULT 1,
  ADD COLUMN created_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
-- Every profile so far came from the shipped files.
UPDATE device_profiles SET builtin = true;

CREATE TABLE device_profile_versions (
  profile_id text NOT NULL REFERENCES device_profiles (id) ON DELETE CASCADE,
  version    int NOT NULL CHECK (version >= 1),
  body       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by text,
  PRIMARY KEY (profile_id, version)
);
INSERT INTO device_profile_versions (profile_id, version, body) SELECT id, 1, body FROM device_profiles;

-- A comm line may pin a version; without one, each launch uses the version that was the latest when it started.
ALTER TABLE comm_lines ADD COLUMN profile_version int;
ALTER TABLE comm_lines ADD CONSTRAINT comm_lines_profile_version_fkey
  FOREIGN KEY (profile_id, profile_version) REFERENCES device_profile_versions (profile_id, version);

-- The latest version of every profile when a launch first started (profile id → version): a launch taken
-- over after a crash goes on with the same versions.
ALTER TABLE task_launches ADD COLUMN profile_versions jsonb;
