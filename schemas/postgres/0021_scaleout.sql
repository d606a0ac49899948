-- Scale-out (docs/deployment.md). Several scheduler processes share one launch device by device: a device
-- is claimed by one process with a lease the process renews while it reads; a lease that runs out (the
-- process died) lets another process take the device over. A device without a result is read by whoever
-- claims it next, so no device is read by two processes at once while their leases hold.
ALTER TABLE launch_devices ADD COLUMN claimed_by text, ADD COLUMN lease_until timestamptz;
CREATE INDEX launch_devices_unfinished ON launch_devices (launch_id, device_id) WHERE result = 'pending';

-- The meter connections each CENC node holds (registry/cenc-connections.ts), with a lease the node renews:
-- a launch reads a device connected to a live node on that node only; a meter that reconnects to another
-- node moves its row there; the rows of a node that died go stale when their lease runs out.
CREATE TABLE cenc_connections (
  device_id    uuid PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
  node_id      text NOT NULL,
  remote       text NOT NULL,
  connected_at timestamptz NOT NULL,
  lease_until  timestamptz NOT NULL,
  -- host:port of the holding node's AMR agent port (NULL: it has none): agents reach the meter through any node.
  agent_address text,
  -- what the API lists on any node (GET /cenc/connections): the listening port and the identity it came with
  port          int,
  identity_kind  text,
  identity_value text
);
CREATE INDEX cenc_connections_node ON cenc_connections (node_id);

-- Failed logins per user name + client address (api/auth.ts): in the registry, so that every API process
-- behind a balancer counts the same attempts. Rows whose lock ran out are pruned as new failures come.
CREATE TABLE login_failures (
  key          text PRIMARY KEY,
  failures     int NOT NULL,
  locked_until timestamptz NOT NULL
);
CREATE INDEX login_failures_until ON login_failures (locked_until);

-- Avro schema ids of the bus (registry/bus-schemas.ts) when Kafka runs without a Confluent Schema Registry:
-- every HES process must give a schema the same id, so the ids live here rather than in a file per process.
CREATE TABLE bus_schemas (
  id        serial PRIMARY KEY,
  canonical text NOT NULL UNIQUE
);
CREATE TABLE bus_schema_subjects (
  subject   text NOT NULL,
  schema_id int NOT NULL REFERENCES bus_schemas (id),
  PRIMARY KEY (subject, schema_id)
);
