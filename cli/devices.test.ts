/** `hes devices config-export|config-import|export --transport-key-file`: secrets leave wrapped and audited, or as placeholders. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './devices.js';
import { configFrom, parse } from './options.js';
import { openRegistry } from '../registry/open.js';
import { createProject, ProtocolStore } from '../registry/project-data.js';
import { registerFleet } from './demo.js';
import { Fleet } from '../sim/fleet.js';
import { simFleetConfig } from '../ingest/testing/sim-meters.js';

it('exports placeholders by default and wrapped secrets with a key file; the import unwraps them into another project', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-devices-'));
  const registry = ['--data-dir', dir];
  const open = () => openRegistry(configFrom(parse(registry, {}).values));
  const secretsOf = async (projectId: string) => {
    const { db, box } = await open();
    try {
      const store = new ProtocolStore(db, box);
      const rows = (await db.query<Record<string, unknown>>('SELECT id, name, secrets_enc AS "secretsEnc" FROM protocols WHERE project_id = $1 ORDER BY name', [projectId])).rows;
      return rows.map((r) => [r.name, store.secrets(r)]);
    } finally {
      await db.close();
    }
  };
  try {
    let source: string, target: string;
    {
      const { db, box } = await open();
      source = String((await createProject(db, { name: 'Demo' }, null)).id);
      target = String((await createProject(db, { name: 'Copy' }, null)).id);
      await registerFleet(db, box, source, new Fleet(simFleetConfig({ meters: 2 })), '127.0.0.1', 4059);
      await db.close();
    }
    const keyFile = join(dir, 'transport.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    const plain = join(dir, 'plain.json');
    const wrapped = join(dir, 'wrapped.json');
    assert.equal(await main(['config-export', plain, '--project', source, ...registry]), 0);
    assert.equal(await main(['config-export', wrapped, '--project', source, '--transport-key-file', keyFile, ...registry]), 0);
    const secrets = await secretsOf(source);
    for (const [, s] of secrets) for (const v of Object.values(s as Record<string, string>)) {
      assert.ok(!readFileSync(plain, 'utf8').includes(v) && !readFileSync(wrapped, 'utf8').includes(v), 'no secret in clear');
    }
    assert.deepEqual(JSON.parse(readFileSync(plain, 'utf8')).Protocols[0].Secrets, { DLMS_AUTHENTICATION_KEY: { secretsSet: true }, DLMS_ENCRYPTION_KEY: { secretsSet: true } });
    assert.equal(await main(['config-import', wrapped, '--project', target, ...registry]), 1, 'wrapped secrets need the key');
    assert.equal(await main(['config-import', wrapped, '--project', target, '--transport-key-file', keyFile, ...registry]), 0);
    assert.deepEqual(await secretsOf(target), secrets);
    const { db } = await open();
    const audited = await db.query<{ username: string; params: Record<string, unknown> }>(`SELECT username, params FROM events WHERE code = 'SSET_SECRETS_EXPORT'`);
    await db.close();
    assert.deepEqual(audited.rows, [{ username: 'cli', params: { format: 'json', protection: 'key-wrap', secrets: 4 } }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
