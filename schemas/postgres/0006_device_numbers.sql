-- A compact numeric id per device for the data plane: bus keys, raw frames and ClickHouse rows carry
-- `devices.num` (UInt64 sorts and delta-compresses; a uuid would cost 16 random bytes per series).
-- Never reused, so data of a deleted device cannot be attributed to a new one.
ALTER TABLE devices ADD COLUMN num bigint GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX devices_num ON devices (num);
