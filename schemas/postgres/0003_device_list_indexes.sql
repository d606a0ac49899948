-- Device lists of a project with a million devices (bench/registry.ts, issue 6): the serial number
-- prefix filter (case-insensitive LIKE 'x%') and sorting by time added need their own indexes; sorting
-- by serial number uses devices_serial_type.
CREATE INDEX devices_serial_prefix ON devices (project_id, lower(serial_number) text_pattern_ops);
CREATE INDEX devices_added_at ON devices (project_id, added_at, id);
