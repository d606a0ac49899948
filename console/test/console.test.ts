/**
 * The operator console in a real browser: `hes start --demo 3` as a child process (temp data dir, free port)
 * and Debian's Chromium driven by playwright-core. Sign in and change the password, open the demo project,
 * a device's chart with readings, a relay disconnect approved by a second user, an import with a bad cell
 * marked, Russian with no English left, and axe-core on each main screen. With HES_SCREENSHOTS=1 the
 * dashboard and device card screenshots of the README are written to docs/img/.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HesClient, freePort, spawnHes, type HesProcess } from '../../cli/hes-process.js';
import { workbook } from '../../api/test/xlsx.js';

const require = createRequire(import.meta.url);
const CHROMIUM = process.env.HES_CHROMIUM ?? '/usr/bin/chromium';
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCE = fileURLToPath(new URL('../../../console/src/i18n/', import.meta.url));
const ADMIN_PASSWORD = 'Console-pass1';

type Catalogue = { [key: string]: string | Catalogue };
const flatten = (c: Catalogue, prefix = ''): [string, string][] =>
  Object.entries(c).flatMap(([k, v]) => (typeof v === 'string' ? [[prefix + k, v] as [string, string]] : flatten(v, `${prefix}${k}.`)));
const catalogue = (lang: string) => new Map(flatten(JSON.parse(readFileSync(join(SOURCE, `${lang}.json`), 'utf8')) as Catalogue));

/** Runs in the page: visible text and labels outside translate="no" (data), each with its Latin words. */
const VISIBLE_LATIN = `(() => {
  const found = [];
  const latin = (s) => s.match(/[A-Za-z]{2,}/g) ?? [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('[translate="no"]') || !el.checkVisibility()) continue;
    if (el.closest('select') && !el.selected) continue;
    for (const w of latin(n.textContent)) found.push([w, n.textContent.trim()]);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]')) {
    if (el.closest('[translate="no"]') || !el.checkVisibility()) continue;
    for (const a of ['aria-label', 'placeholder', 'title']) for (const w of latin(el.getAttribute(a) ?? '')) found.push([w, el.getAttribute(a)]);
  }
  return found;
})()`;

const AXE_SERIOUS = `axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
  .filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`;

describe('operator console in Chromium', { timeout: 600_000 }, () => {
  let dir: string;
  let hes: HesProcess;
  let base: string;
  let projectId: string;
  let browser: Browser;
  let page: Page;
  let admin: HesClient;
  const axeProblems: string[] = [];

  const axe = async (screen: string) => {
    await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') });
    const serious = (await page.evaluate(AXE_SERIOUS)) as string[];
    axeProblems.push(...serious.map((s) => `${screen}: ${s}`));
  };
  const go = async (hash: string) => {
    await page.goto(`${base}/#${hash}`);
    await page.locator('#page-title').waitFor();
  };
  const signInUi = async (username: string, password: string) => {
    await page.getByLabel(/User name|Имя пользователя/).fill(username);
    await page.getByLabel(/^(Password|Пароль)$/).fill(password);
    await page.getByRole('button', { name: /^(Sign in|Войти)$/ }).click();
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hes-console-'));
    const port = await freePort();
    hes = spawnHes(['start', '--demo', '3', '--data-dir', dir, '--http-port', String(port), '--http-host', '127.0.0.1']);
    const m = await hes.waitFor(/project "Demo" ([0-9a-f-]{36})/, 120_000);
    projectId = m[1]!;
    base = `http://127.0.0.1:${port}`;
    admin = new HesClient(`${base}/api/v1`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 720 }, locale: 'en-GB' });
  });
  after(async () => {
    await browser?.close();
    await hes?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has every string in both catalogues', () => {
    const strip = (k: string) => k.replace(/_(one|few|many|other)$/, '');
    const en = new Set([...catalogue('en').keys()].map(strip));
    const ru = new Set([...catalogue('ru').keys()].map(strip));
    assert.deepEqual([...en].filter((k) => !ru.has(k)), [], 'keys missing in ru');
    assert.deepEqual([...ru].filter((k) => !en.has(k)), [], 'keys missing in en');
  });

  it('signs in, is made to change the password, and works with the new one', async () => {
    await page.goto(base + '/');
    await axe('sign-in');
    await signInUi('admin', 'wrong-password');
    await page.getByRole('alert').waitFor();
    await signInUi('admin', 'hesadmin');
    await page.getByRole('heading', { name: 'Change password' }).waitFor();
    await axe('password change');
    await page.getByLabel('Current password').fill('hesadmin');
    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Repeat the new password').fill('short');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.locator('#new-password-error').waitFor();
    assert.equal(await page.getByLabel('New password', { exact: true }).getAttribute('aria-invalid'), 'true', 'the refusal is shown at the field it names');
    await page.getByLabel('New password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByLabel('Repeat the new password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
    await admin.signIn('admin', ADMIN_PASSWORD);
  });

  it('opens the demo project on its dashboard', async () => {
    await page.getByLabel('Project', { exact: true }).selectOption({ label: 'Demo' });
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const devices = page.locator('section.widget', { hasText: 'Devices by state' }).getByRole('link', { name: /In use/ });
    await devices.filter({ hasText: '3' }).waitFor();
    await axe('dashboard');
    assert.equal(await devices.getAttribute('href'), `#/p/${projectId}/devices?status=IN_USE`);
  });

  it('opens a device and sees its chart with readings', async () => {
    // The demo tasks run at start; wait until the pipeline has stored a device's 15-minute readings.
    const list = await admin.get<{ items: { id: string; serialNumber: string }[] }>(`/projects/${projectId}/devices?limit=10&sort=serialNumber`);
    const device = list.items[0]!;
    for (let i = 0; i < 600; i++) {
      const m = await admin.get<{ items: unknown[] }>(`/projects/${projectId}/devices/${device.id}/measurements?archive=profile-15&limit=1`);
      if (m.items.length) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await page.getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('link', { name: device.serialNumber }).click();
    await page.getByRole('heading', { name: `Device ${device.serialNumber}` }).waitFor();
    const chart = page.locator('figure.chart svg[role="img"]');
    await chart.waitFor();
    assert.ok(Number(await chart.getAttribute('data-points')) > 10, 'the chart shows the readings');
    assert.ok((await page.locator('table', { hasText: 'Readings' }).locator('tbody tr').count()) > 10);
    await axe('device card');
    if (process.env.HES_SCREENSHOTS) await page.screenshot({ path: join(REPO, 'docs/img/console-device-card.png') });
    for (const tab of ['Information', 'Comm lines', 'Events', 'States', 'Commands']) {
      await page.getByRole('tab', { name: tab }).click();
      await page.locator(`[role="tabpanel"]`).waitFor();
    }
    await axe('device card, commands');
    if (process.env.HES_SCREENSHOTS) {
      await go(`/p/${projectId}/dashboard`);
      await page.locator('section.widget', { hasText: 'Devices by state' }).getByText('3').first().waitFor();
      await page.locator('section.widget', { hasText: "Today's collection completeness" }).getByText('%').waitFor();
      await page.screenshot({ path: join(REPO, 'docs/img/console-dashboard.png') });
    }
  });

  it('sends a relay disconnect that waits for approval, approved by a second user', async () => {
    await go(`/p/${projectId}/settings`);
    await axe('settings');
    await page.getByLabel("Relay disconnects need a second user's approval").check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const roles = await admin.get<{ items: { id: string; name: string }[] }>('/roles?limit=100');
    const approver = await admin.post<{ id: string }>('/users', { username: 'approver', roleId: roles.items.find((r) => r.name === 'Administrator')!.id, password: 'Approver-pass1', mustChangePassword: false });
    await admin.call('PUT', `/projects/${projectId}/members/${approver.id}`);

    const list = await admin.get<{ items: { id: string; serialNumber: string }[] }>(`/projects/${projectId}/devices?limit=10&sort=serialNumber`);
    await go(`/p/${projectId}/devices/${list.items[1]!.id}`);
    await page.getByRole('tab', { name: 'Commands' }).click();
    await page.getByRole('button', { name: 'Disconnect relay' }).click();
    await page.getByRole('status').filter({ hasText: "waits for a second user's approval" }).waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signInUi('approver', 'Approver-pass1');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await go(`/p/${projectId}/approvals`);
    const row = page.locator('tbody tr', { hasText: 'Disconnect relay' });
    await row.waitFor();
    await axe('approvals');
    await row.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: 'Approved' }).waitFor();
    await page.getByText('Nothing awaits approval.').waitFor();
    const tasks = await admin.get<{ items: { approval: string; approvedBy: string | null; content: { commands?: { function: string }[] } }[] }>(`/projects/${projectId}/other-tasks`);
    const approved = tasks.items.find((t) => t.content.commands?.[0]?.function === 'relay-disconnect')!;
    assert.equal(approved.approval, 'approved');
    assert.notEqual(approved.approvedBy, null);
  });

  it('adds a device, and shows the refusal of a taken serial number at its field', async () => {
    await go(`/p/${projectId}/devices`);
    await axe('devices');
    const form = page.locator('form', { hasText: 'Add a device' });
    await form.getByLabel('Serial number').fill('CONSOLE-1');
    await form.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('status').filter({ hasText: 'CONSOLE-1' }).waitFor();
    await page.getByRole('link', { name: 'CONSOLE-1' }).waitFor();
    await form.getByLabel('Serial number').fill('CONSOLE-1');
    await form.getByRole('button', { name: 'Add' }).click();
    await page.locator('#add-serial-error').waitFor();
    assert.equal(await form.getByLabel('Serial number').getAttribute('aria-invalid'), 'true');
  });

  it('imports a workbook with a bad cell and shows that cell marked', async () => {
    await go(`/p/${projectId}/devices`);
    const file = await workbook([
      ['Import TCP', 'TCP', '95.153.224.218', 5279, '01-598', 'DLMS', 16, '1234567812345678', 35, 'Imported', 'CE208', '0000000000101'],
      ['Import TCP 2', 'TCP', '10.5.114.300', 5279, '01-598', 'DLMS', 16, '1234567812345678', 35, 'Imported', 'CE208', '0000000000102'],
    ]);
    await page.getByLabel('Workbook').setInputFiles({ name: 'devices.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: file });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    // The uploaded value, and the API's message for it, in the marked cell C3.
    const bad = page.locator('td[data-cell="C3"]', { hasText: '10.5.114.300' });
    await bad.waitFor();
    assert.equal(await bad.getAttribute('aria-invalid'), 'true');
    assert.match((await bad.textContent()) ?? '', /IPv4/);
    assert.equal(await page.locator('td[aria-invalid="true"]').count(), 1, 'only the bad cell is marked');
    assert.equal(await page.locator('table.sheet caption').textContent(), '1 bad cell, nothing imported');
    await axe('devices, refused import');
  });

  it('in Russian shows no English: every visible string comes from the catalogue', async () => {
    const ru = catalogue('ru');
    const allowed = new Set([...ru.values()].flatMap((v) => v.replace(/\{\{\w+\}\}/g, '').match(/[A-Za-z]{2,}/g) ?? []));
    await page.getByLabel('Language', { exact: true }).selectOption('ru');
    await page.getByRole('button', { name: 'Выйти' }).waitFor();
    const list = await admin.get<{ items: { id: string }[] }>(`/projects/${projectId}/devices?limit=1`);
    const screens = ['dashboard', 'devices', `devices/${list.items[0]!.id}`, 'tasks', 'approvals', 'settings', 'groups', 'channels', 'protocols', 'other-tasks']
      .map((s) => `/p/${projectId}/${s}`)
      .concat(['/projects', '/users', '/roles', '/events', '/service-logs', '/health', '/profiles', '/cenc', '/sessions', '/tokens', '/email-settings']);
    const english: string[] = [];
    for (const screen of screens) {
      await go(screen);
      await page.waitForLoadState('networkidle');
      for (const [word, text] of (await page.evaluate(VISIBLE_LATIN)) as [string, string][]) if (!allowed.has(word)) english.push(`${screen}: "${word}" in "${text}"`);
    }
    assert.deepEqual(english, []);
    // The choice is remembered for this user: a new sign-in comes back in Russian.
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.getByRole('heading', { name: 'Вход' }).waitFor();
    await page.getByLabel('Язык').selectOption('en');
    await signInUi('approver', 'Approver-pass1');
    await page.getByRole('button', { name: 'Выйти' }).waitFor();
  });

  it('signs out with a clear message when the API refuses the token', async () => {
    await go('/health');
    // A revoked session: every token of the signed-in user stops working.
    const me = await page.evaluate('JSON.parse(sessionStorage.getItem("hes.session")).accessToken') as string;
    const sessions = await (await fetch(`${base}/api/v1/auth/sessions`, { headers: { authorization: `Bearer ${me}` } })).json() as { items?: { id: string }[] } | { id: string }[];
    for (const s of Array.isArray(sessions) ? sessions : (sessions.items ?? [])) {
      await fetch(`${base}/api/v1/auth/sessions/${s.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${me}` } });
    }
    await page.getByRole('link', { name: /Events|События/ }).click();
    await page.getByRole('status').filter({ hasText: /session has ended|Сеанс завершён/ }).waitFor();
    await signInUi('approver', 'Approver-pass1');
    await page.locator('#page-title').waitFor();
  });

  it('axe-core finds no serious or critical violation on the main screens', async () => {
    for (const screen of ['/roles', '/events', '/service-logs', '/health', '/tokens', '/email-settings', '/users', `/p/${projectId}/tasks`]) {
      await go(screen);
      await axe(screen);
    }
    assert.deepEqual(axeProblems, []);
  });

  it('filters the service log and exports what the filter shows as CSV', async () => {
    await go('/service-logs');
    const rows = page.locator('table tbody tr');
    // The configuration changes made above (control settings, a user) are in the log before the filter.
    await rows.locator('td[translate="no"]').first().waitFor();
    await page.getByLabel(/^(Service|Служба)$/).fill('no-such-service');
    await page.getByText(/Nothing to show\.|Нет данных\./).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Export to CSV|Выгрузить в CSV/ }).click()]);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv.length, 1, `only the header row: ${csv.slice(0, 3).join(' | ')}`);
    assert.equal(await rows.count(), 1);
  });

  it('fits a tablet width without scrolling the page sideways', async () => {
    await page.setViewportSize({ width: 800, height: 1100 });
    const list = await admin.get<{ items: { id: string }[] }>(`/projects/${projectId}/devices?limit=1`);
    for (const screen of [`/p/${projectId}/dashboard`, `/p/${projectId}/devices`, `/p/${projectId}/devices/${list.items[0]!.id}`, '/roles']) {
      await go(screen);
      await page.waitForLoadState('networkidle');
      const [scroll, width] = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as [number, number];
      assert.ok(scroll <= width, `${screen}: the page is ${scroll} px wide in a ${width} px window`);
    }
  });
});
