-- Collection and control: tasks, launches, per-device results, command history, project control settings
-- (BRIEF §4 "Collection task", "Commands"; seed 003 §2.2.21–2.2.24, §3.3–3.4).

-- Per-project control policy: second-user approval of relay disconnects, clock drift limit.
CREATE TABLE control_settings (
  project_id                uuid PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
  relay_disconnect_approval boolean NOT NULL DEFAULT false,
  clock_max_drift_seconds   int NOT NULL DEFAULT 300 CHECK (clock_max_drift_seconds BETWEEN 1 AND 86400),
  version                   int NOT NULL DEFAULT 1
);

CREATE TABLE collection_tasks (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id          uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- 'scheduled': the tasks page; 'one-off': "other tasks" (device list, action builder, template, commands).
  kind                text NOT NULL CHECK (kind IN ('scheduled', 'one-off')),
  device_ids          uuid[] NOT NULL DEFAULT '{}',
  group_ids           uuid[] NOT NULL DEFAULT '{}',
  -- What to collect or execute: {measurements, events, states, commands} (scheduler/content.ts).
  content             jsonb NOT NULL,
  -- Five-field cron in the project's time zone; NULL for one-off tasks.
  schedule_cron       text,
  schedule_enabled    boolean NOT NULL DEFAULT false,
  schedule_enabled_at timestamptz,
  schedule_disabled_at timestamptz,
  -- The next firing, persisted so that a restarted scheduler neither loses nor repeats one.
  next_fire_at        timestamptz,
  -- 1..999, higher runs first (seed 003 §2.2.22).
  priority            int NOT NULL DEFAULT 1 CHECK (priority BETWEEN 1 AND 999),
  retries             int NOT NULL DEFAULT 0 CHECK (retries BETWEEN 0 AND 100),
  retry_delay_seconds int NOT NULL DEFAULT 180 CHECK (retry_delay_seconds BETWEEN 0 AND 86400),
  poll_until_success  boolean NOT NULL DEFAULT false,
  initiator           text NOT NULL DEFAULT 'console' CHECK (initiator IN ('console', 'api', 'iec')),
  source              text NOT NULL DEFAULT 'tasks' CHECK (source IN ('tasks', 'device-list', 'action-builder', 'template', 'command')),
  template_task_id    uuid,
  -- Relay disconnects may need a second user's approval (control_settings).
  approval            text NOT NULL DEFAULT 'not-required' CHECK (approval IN ('not-required', 'awaiting', 'approved', 'rejected')),
  approved_by         uuid REFERENCES users (id) ON DELETE SET NULL,
  approved_at         timestamptz,
  created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  version             int NOT NULL DEFAULT 1,
  UNIQUE (project_id, id)
);
CREATE INDEX collection_tasks_due ON collection_tasks (next_fire_at) WHERE schedule_enabled;
CREATE INDEX collection_tasks_project_kind ON collection_tasks (project_id, kind, created_at DESC);

CREATE TABLE task_launches (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id       uuid NOT NULL,
  task_id          uuid NOT NULL,
  -- The firing time for scheduled launches: (task, scheduled_at) is unique, so a firing is never doubled.
  scheduled_at     timestamptz,
  trigger          text NOT NULL CHECK (trigger IN ('schedule', 'manual', 'one-off')),
  priority         int NOT NULL,
  user_id          uuid REFERENCES users (id) ON DELETE SET NULL,
  username         text,
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'finished')),
  result           text NOT NULL DEFAULT 'pending'
                   CHECK (result IN ('pending', 'absent', 'error', 'partial', 'success', 'cancelled-by-schedule', 'cancelled-by-user')),
  cancel_requested text CHECK (cancel_requested IN ('user', 'schedule')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  -- The scheduler instance running it and its last sign of life; a stale lease is taken over.
  claimed_by       text,
  heartbeat_at     timestamptz,
  FOREIGN KEY (project_id, task_id) REFERENCES collection_tasks (project_id, id) ON DELETE CASCADE,
  UNIQUE (task_id, scheduled_at)
);
CREATE INDEX task_launches_pending ON task_launches (priority DESC, created_at) WHERE state = 'pending';
CREATE INDEX task_launches_running ON task_launches (heartbeat_at) WHERE state = 'running';
CREATE INDEX task_launches_task ON task_launches (task_id, created_at DESC);

-- Per-device result of a launch, with the note and the exchange log (seed 003 §2.2.23).
CREATE TABLE launch_devices (
  launch_id    uuid NOT NULL REFERENCES task_launches (id) ON DELETE CASCADE,
  device_id    uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  result       text NOT NULL DEFAULT 'pending'
               CHECK (result IN ('pending', 'absent', 'error', 'partial', 'success', 'cancelled')),
  note         text NOT NULL DEFAULT '',
  attempts     int NOT NULL DEFAULT 0,
  comm_line_id uuid,
  started_at   timestamptz,
  finished_at  timestamptz,
  exchange_log text NOT NULL DEFAULT '',
  PRIMARY KEY (launch_id, device_id)
);
CREATE INDEX launch_devices_device ON launch_devices (device_id);

-- Command history per device (seed 003 §3.4 step 7): function, user, start, finish, launch type, state, parameters.
CREATE TABLE device_commands (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  device_id   uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  launch_id   uuid REFERENCES task_launches (id) ON DELETE SET NULL,
  -- Position of the command in the task's content: a re-run after a crash updates its row, never doubles it.
  step        int NOT NULL DEFAULT 0,
  function    text NOT NULL,
  params      jsonb NOT NULL DEFAULT '{}',
  user_id     uuid,
  username    text,
  launch_type text NOT NULL CHECK (launch_type IN ('user', 'schedule', 'api', 'iec')),
  state       text NOT NULL CHECK (state IN ('running', 'done', 'error', 'cancelled')),
  result      jsonb,
  note        text NOT NULL DEFAULT '',
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  UNIQUE (launch_id, device_id, step)
);
CREATE INDEX device_commands_device ON device_commands (device_id, started_at DESC);
