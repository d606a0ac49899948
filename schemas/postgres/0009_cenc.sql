-- CENC (registry/cenc-directory.ts): a meter connecting in is looked up across all projects by what it
-- told about itself, first through the identity on its CENC channel (identifier compared case-insensitively),
-- then, for a serial number or IMEI, by the device's serial number (devices_serial_type leads with project_id).
CREATE INDEX channels_cenc_identity ON channels ((settings->>'identifyBy'), upper(settings->>'identifier')) WHERE kind = 'CENC';
CREATE INDEX devices_serial ON devices (serial_number);
