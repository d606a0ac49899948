/**
 * The operator console (issue 22): first screen interactive on a cold cache over loopback, device list
 * paging and filtering as a browser action (click or keystroke until the table shows the new rows), and the
 * JavaScript it ships, gzipped. The HES API on embedded PGlite with a project of HES_BENCH_CONSOLE_DEVICES
 * devices (default 200,000: the 1,000,000 takes minutes of fixture on the shared machine), the
 * console from dist/console/www, Debian's Chromium through playwright-core.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Benchmark, BenchResult } from './harness.js';
import { openTestDb } from '../registry/testing.js';
import { SecretBox, hashPassword } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { buildApp } from '../api/app.js';
import { fillDevices } from './registry.js';

const ASSETS = fileURLToPath(new URL('../console/www/assets/', import.meta.url));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const worst = (xs: number[]) => Math.max(...xs);

export const benchmarks: Benchmark[] = [
  {
    name: 'console.load',
    async run(): Promise<BenchResult[]> {
      const out: BenchResult[] = [];
      // What the browser downloads: the entry bundle at first load; the rest (the XLSX reader) on demand.
      const files = readdirSync(ASSETS).filter((f) => f.endsWith('.js'));
      const gz = (f: string) => gzipSync(readFileSync(ASSETS + f), { level: 9 }).length;
      const entry = files.filter((f) => f.startsWith('index-')).reduce((s, f) => s + gz(f), 0);
      const all = files.reduce((s, f) => s + gz(f), 0);
      out.push({ name: 'console.load.js_entry_gzip', value: round(entry / 1024), unit: 'kB' }, { name: 'console.load.js_all_gzip', value: round(all / 1024), unit: 'kB', files: files.length });

      const n = Number(process.env.HES_BENCH_CONSOLE_DEVICES ?? 200_000);
      const t = await openTestDb('pglite');
      const app = await buildApp({ db: t.db, box: new SecretBox(Buffer.alloc(32, 7)), config: { accessTokenTtl: 3600, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' } });
      const browser = await chromium.launch({ executablePath: process.env.HES_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
      try {
        const projectId = String((await createProject(t.db, { name: 'bench' }, null)).id);
        const t0 = performance.now();
        await fillDevices(t, projectId, n);
        out.push({ name: 'console.load.fixture_insert', value: round((performance.now() - t0) / 1000), unit: 's', devices: n });
        await t.db.query(`INSERT INTO users (username, role_id, password_hash) SELECT 'bench', id, $1 FROM roles WHERE name = 'Operator'`, [await hashPassword('Bench-pass1')]);
        await t.db.query(`INSERT INTO project_members (project_id, user_id) SELECT $1, id FROM users WHERE username = 'bench'`, [projectId]);
        const base = await app.listen({ host: '127.0.0.1', port: 0 });
        const token = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'bench', password: 'Bench-pass1' } })).json().accessToken as string;
        const session = JSON.stringify({ accessToken: token, username: 'bench' });

        // Cold cache: a new browser context each time. Sign-in form usable; the device list with its first page shown.
        const signIn: number[] = [];
        const list: number[] = [];
        for (let i = 0; i < 6; i++) {
          const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
          const page = await ctx.newPage();
          let s = performance.now();
          await page.goto(base + '/');
          await page.locator('#username:enabled').waitFor();
          signIn.push(performance.now() - s);
          await ctx.addInitScript(`sessionStorage.setItem('hes.session', ${JSON.stringify(session)})`);
          const page2 = await ctx.newPage();
          await ctx.clearCookies();
          s = performance.now();
          await page2.goto(`${base}/#/p/${projectId}/devices`);
          await page2.locator('tbody tr a').first().waitFor();
          list.push(performance.now() - s);
          await ctx.close();
        }
        // The first context warmed the server's JIT: keep the five after it.
        out.push(
          { name: 'console.load.sign_in_interactive.p50', value: round(median(signIn.slice(1))), unit: 'ms', runs: 5 },
          { name: 'console.load.sign_in_interactive.max', value: round(worst(signIn.slice(1))), unit: 'ms', runs: 5 },
          { name: 'console.load.device_list_interactive.p50', value: round(median(list.slice(1))), unit: 'ms', runs: 5, devices: n },
          { name: 'console.load.device_list_interactive.max', value: round(worst(list.slice(1))), unit: 'ms', runs: 5, devices: n },
        );

        // Actions on the list: next page, a serial number prefix typed, a status filter, a sort by a column.
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 720 } });
        await ctx.addInitScript(`sessionStorage.setItem('hes.session', ${JSON.stringify(session)})`);
        const page = await ctx.newPage();
        await page.goto(`${base}/#/p/${projectId}/devices`);
        await page.locator('tbody tr a').first().waitFor();
        const firstSerial = () => page.locator('tbody tr a').first().textContent();
        const timed = async (act: () => Promise<void>): Promise<number> => {
          const before = await page.locator('.pager span').textContent() + '|' + (await firstSerial());
          const s = performance.now();
          await act();
          await page.waitForFunction(`document.querySelector('.pager span')?.textContent + '|' + document.querySelector('tbody tr a')?.textContent !== ${JSON.stringify(before)}`, undefined, { polling: 'raf' });
          return performance.now() - s;
        };
        const actions: Record<string, number[]> = { next_page: [], serial_prefix: [], status_filter: [], sort_column: [] };
        for (let i = 0; i < 8; i++) {
          actions.next_page!.push(await timed(() => page.getByRole('button', { name: 'Next' }).click()));
          actions.serial_prefix!.push(await timed(() => page.locator('#f-serial').fill(`0000${String((i * 37) % 1000).padStart(3, '0')}`)));
          await page.locator('#f-serial').fill('');
          await page.waitForTimeout(200);
          actions.status_filter!.push(await timed(() => page.locator('#f-status').selectOption(i % 2 ? 'STOCK' : 'REMOVED').then(() => undefined)));
          actions.sort_column!.push(await timed(() => page.getByRole('button', { name: /^Added( [▲▼])?$/ }).click()));
          await page.locator('#f-status').selectOption('');
          await page.waitForTimeout(200);
        }
        await ctx.close();
        for (const [name, times] of Object.entries(actions)) {
          out.push(
            { name: `console.load.list_${name}.p50`, value: round(median(times)), unit: 'ms', actions: times.length, devices: n },
            { name: `console.load.list_${name}.max`, value: round(worst(times)), unit: 'ms', actions: times.length, devices: n },
          );
        }
      } finally {
        await browser.close();
        await app.close();
        await t.drop();
      }
      return out;
    },
  },
];
