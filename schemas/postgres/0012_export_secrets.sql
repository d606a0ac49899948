-- Exports carry protocol passwords and keys (wrapped or sealed) only for holders of Export.Secrets
-- (docs/security.md "Secret export"): the built-in Administrator role of an existing registry gets it here;
-- a new registry's roles get it from the seed.
INSERT INTO permissions (name, description) VALUES ('Export.Secrets', 'Export protocol passwords and keys (wrapped or sealed)') ON CONFLICT (name) DO NOTHING;
INSERT INTO role_permissions (role_id, permission) SELECT id, 'Export.Secrets' FROM roles WHERE builtin AND name = 'Administrator' ON CONFLICT DO NOTHING;
