-- UNB base stations and SMP-M meters (docs/unb.md, docs/smp-m.md, seed 003 §2.2.19, appendices 5 and 6).

-- Base stations belong to the host (seed 003: Host > UNB base stations): a station hears the meters of every
-- project on its frequency. It signs in to the station service with its identifier and a token the HES issued;
-- only the token's hash is kept. What the station reports (firmware, position, last activity) is stored as told.
CREATE TABLE unb_base_stations (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  identifier        text NOT NULL CHECK (identifier ~ '^[A-Za-z0-9._-]{1,64}$'),
  tz_offset_minutes int NOT NULL CHECK (tz_offset_minutes BETWEEN -720 AND 840),
  note              text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
  token_hash        text,
  token_issued_at   timestamptz,
  firmware          text,
  latitude          double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude         double precision CHECK (longitude BETWEEN -180 AND 180),
  last_seen         timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  version           int NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX unb_base_stations_identifier ON unb_base_stations (lower(identifier));

-- Per device and direction, the highest SMP-M counter accepted (uplink: by the station service after the
-- MAC checked out; downlink: the last counter the HES sealed a downlink packet with).
CREATE TABLE unb_counters (
  device_id  uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  uplink     bigint NOT NULL DEFAULT -1,
  downlink   bigint NOT NULL DEFAULT 0
);

-- How well each station heard each device lately: the downlink goes through the best one (or the comm line's).
CREATE TABLE unb_receptions (
  device_id  uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  station_id uuid NOT NULL REFERENCES unb_base_stations (id) ON DELETE CASCADE,
  rssi       real NOT NULL,
  snr        real,
  heard_at   timestamptz NOT NULL,
  PRIMARY KEY (device_id, station_id)
);

-- Downlink tasks (seed 003 §2.2.19.3): queued → sent (a station fetched it) → success / error; cancelled while
-- queued. A task not fetched within the offer time goes to the next best station (`offered_to` names the current
-- one, `tried` the ones it was offered to before).
CREATE TABLE unb_downlink_tasks (
  id          bigserial PRIMARY KEY,
  project_id  uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
  device_id   uuid NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('relay-connect', 'relay-disconnect', 'time-correction')),
  params      jsonb NOT NULL DEFAULT '{}',
  state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'success', 'error', 'cancelled')),
  counter     bigint,
  offered_to  uuid REFERENCES unb_base_stations (id) ON DELETE SET NULL,
  offered_at  timestamptz,
  tried       uuid[] NOT NULL DEFAULT '{}',
  sent_by     uuid REFERENCES unb_base_stations (id) ON DELETE SET NULL,
  note        text NOT NULL DEFAULT '',
  launch_id   uuid,
  user_id     uuid,
  username    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (project_id, device_id) REFERENCES devices (project_id, id) ON DELETE CASCADE
);
CREATE INDEX unb_downlink_tasks_device ON unb_downlink_tasks (device_id, created_at DESC);
CREATE INDEX unb_downlink_tasks_open ON unb_downlink_tasks (state, offered_to) WHERE state IN ('queued', 'sent');

-- Packets of serial numbers no UNB comm line names (a station hears everything on its frequency): counted for
-- diagnosis, never readings; rows unheard for a day are purged by the station service.
CREATE TABLE unb_unknown_devices (
  serial        bigint PRIMARY KEY,
  first_seen    timestamptz NOT NULL,
  last_seen     timestamptz NOT NULL,
  packets       bigint NOT NULL DEFAULT 0,
  last_station  text NOT NULL,
  last_counter  bigint,
  last_rssi     real,
  last_packet   text NOT NULL
);
CREATE INDEX unb_unknown_devices_seen ON unb_unknown_devices (last_seen DESC);

