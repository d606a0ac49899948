/** Test support: a migrated chDB in a temporary folder for one test file, removed when the file's tests end. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { ChdbEngine } from './engine.js';
import { migrate } from './migrate.js';

export function testWarehouse(name: string): ChdbEngine {
  const dir = mkdtempSync(join(tmpdir(), `hes-${name}-`));
  const engine = new ChdbEngine(join(dir, 'ch'));
  before(() => migrate(engine));
  after(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return engine;
}
