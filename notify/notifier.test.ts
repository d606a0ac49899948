/**
 * The notifier against real receivers on loopback: an SMTP server (the mail settings' server, with their
 * stored password), a webhook receiver checking the signature, an SMS gateway reached through its template;
 * retries with back-off on a fixed clock, the dead-letter list and its replay, duplicates and quiet periods.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENGINES, openTestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createRule, listDeliveries, replayDelivery, type RuleInput } from '../registry/notifications.js';
import type { EventRow } from '../decoders/protocol-decoder.js';
import { HesMetrics } from '../metrics/index.js';
import { Notifier } from './notifier.js';
import { projectWithDevice, startHttpReceiver, startMailServer } from './testing.js';

const T0 = Date.parse('2025-06-01T12:00:00Z');
const box = new SecretBox(Buffer.alloc(32, 3));

const event = (num: number, extra: Partial<EventRow> = {}): EventRow => ({
  device_id: num, journal: 'tamper', ts: T0 / 1000 - 60, code: 47, name: 'cover opened', params: '{}', raw: '', device_tz: 0, source: 'POLL',
  collected_at: T0 / 1000, retention_days: 0, ...extra,
});

for (const engine of ENGINES) {
  test(`${engine}: notifications by email, webhook and SMS, with retries, dead letters, duplicates and quiet periods`, async (t) => {
    const { db, drop } = await openTestDb(engine);
    const mail = await startMailServer('hes-mailer', 'Mail-secret1');
    const http = await startHttpReceiver();
    let clock = T0;
    const metrics = new HesMetrics();
    const notifier = new Notifier({ db, box, now: () => clock, maxAttempts: 3, retryBaseMs: 1000, metrics });
    t.after(async () => {
      await notifier.close();
      await mail.close();
      await http.close();
      await drop();
    });
    const { projectId, deviceId, num } = await projectWithDevice(db, 'Grid');
    const rule = (input: RuleInput & { name: string; channel: 'email' | 'webhook' | 'sms' }) => createRule(db, box, projectId, input);
    const deliveries = async (f: Parameters<typeof listDeliveries>[2] = {}) => (await listDeliveries(db, projectId, f, 100, 0)).items;
    const run = async (events: EventRow[] = []) => {
      notifier.enqueue(events);
      await notifier.idle();
    };

    await t.test('email goes through the SMTP server of the mail settings, signed in with the stored password', async () => {
      await db.query(`UPDATE email_settings SET sender_email = 'hes@example.org', sender_name = 'HES', smtp_host = '127.0.0.1', smtp_port = $1, security = 'none',
        username = 'hes-mailer', password_enc = $2 WHERE id = 1`, [mail.port, box.encrypt('Mail-secret1', 'email-settings')]);
      const r = await rule({ name: 'tamper mail', channel: 'email', eventCodes: [47], recipients: ['ops@example.org', 'duty@example.org'] });
      await run([event(num)]);
      assert.equal(mail.messages.length, 1);
      const m = mail.messages[0]!;
      assert.deepEqual([m.user, m.to], ['hes-mailer', ['ops@example.org', 'duty@example.org']]);
      assert.match(m.raw, /^Subject: \[HES\] cover opened \(code 47\) on CE308 1000001\r?$/m);
      assert.match(m.raw, /^From: HES <hes@example\.org>\r?$/m);
      assert.match(m.raw, /cover opened \(code 47\) in the tamper journal/);
      assert.match(m.raw, /Event time: 2025-06-01T11:59:00\.000Z/);
      const [d] = await deliveries({ ruleId: r.id });
      assert.deepEqual([d!.status, d!.channel, d!.recipient, d!.deviceId, d!.attempts], ['sent', 'email', 'ops@example.org, duty@example.org', deviceId, 1]);
      await db.query('UPDATE notification_rules SET enabled = false WHERE id = $1', [r.id]);
    });

    await t.test('a webhook is signed over timestamp and body, retried with doubling delays, and sent', async () => {
      const r = await rule({ name: 'critical hook', channel: 'webhook', severities: ['critical'], url: `${http.url}/hook`, secret: 'hook-secret' });
      http.answers.push(500, 503);
      await run([event(num, { code: 3, name: 'relay fault', severity: 'critical' }), event(num, { code: 4, severity: 'minor' })]);
      let [d] = await deliveries({ ruleId: r.id });
      assert.deepEqual([d!.status, d!.attempts, d!.reason], ['pending', 1, `HTTP 500 from ${http.url}/hook`]);
      assert.equal(new Date(d!.nextAttemptAt as string).getTime(), T0 + 1000, 'first retry after the base delay');
      clock += 999;
      await run();
      assert.equal(http.requests.length, 1, 'not due yet');
      clock += 1;
      await run();
      [d] = await deliveries({ ruleId: r.id });
      assert.deepEqual([d!.status, d!.attempts], ['pending', 2]);
      assert.equal(new Date(d!.nextAttemptAt as string).getTime(), clock + 2000, 'the delay doubles');
      clock += 2000;
      await run();
      [d] = await deliveries({ ruleId: r.id });
      assert.deepEqual([d!.status, d!.attempts, d!.reason], ['sent', 3, null]);
      assert.equal(http.requests.length, 3, 'the minor event matched nothing');
      const req = http.requests[2]!;
      assert.equal(req.headers['content-type'], 'application/json');
      assert.equal(req.headers['x-hes-timestamp'], String(Math.floor(clock / 1000)));
      const expected = createHmac('sha256', 'hook-secret').update(`${req.headers['x-hes-timestamp']}.${req.body}`).digest('hex');
      assert.equal(req.headers['x-hes-signature'], `sha256=${expected}`);
      const body = JSON.parse(req.body);
      assert.deepEqual(body.event, { journal: 'tamper', code: 3, name: 'relay fault', severity: 'critical', time: '2025-06-01T11:59:00.000Z', params: {} });
      assert.deepEqual([body.id, body.device.id, body.project.name, body.rule.name], [String(d!.id), deviceId, 'Grid', 'critical hook']);
      await db.query('UPDATE notification_rules SET enabled = false WHERE id = $1', [r.id]);
    });

    await t.test('a webhook that fails every attempt is dead-lettered; a replay sends it', async () => {
      http.requests.length = 0;
      const r = await rule({ name: 'dead hook', channel: 'webhook', eventCodes: [47], url: `${http.url}/down`, secret: 's', dedupSeconds: 0 });
      http.answers.push(500, 500, 500);
      await run([event(num)]);
      clock += 1000;
      await run();
      clock += 2000;
      await run();
      const [dead] = await deliveries({ status: 'failed' });
      assert.deepEqual([dead!.ruleId, dead!.attempts, dead!.reason, dead!.nextAttemptAt], [r.id, 3, `HTTP 500 from ${http.url}/down`, null]);
      await replayDelivery(db, projectId, dead!.id as number, clock);
      await run();
      const [replayed] = await deliveries({ ruleId: r.id });
      assert.deepEqual([replayed!.id, replayed!.status, replayed!.attempts], [dead!.id, 'sent', 1]);
      assert.equal(http.requests.length, 4);
      assert.equal(http.requests[3]!.body, http.requests[0]!.body.replace(/"id":"\d+"/, `"id":"${dead!.id}"`), 'the same notification again');
      await assert.rejects(replayDelivery(db, projectId, dead!.id as number, clock), /only failed notifications are replayed/);
      await db.query('UPDATE notification_rules SET enabled = false WHERE id = $1', [r.id]);
    });

    await t.test('SMS through the gateway template, one per recipient, placeholders escaped where they land', async () => {
      http.requests.length = 0;
      const r = await rule({
        name: 'sms', channel: 'sms', eventCodes: [47], recipients: ['+49 170 1', '+49 170 2'], secret: 'gw-key',
        url: `${http.url}/send?to={to}&key={secret}`, method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Key {secret}' },
        bodyTemplate: '{"to":"{to}","text":"{message}"}',
      });
      await run([event(num, { name: 'cover "A" opened' })]);
      assert.equal(http.requests.length, 2);
      const [first] = http.requests;
      assert.equal(first!.url, '/send?to=%2B49%20170%201&key=gw-key');
      assert.equal(first!.headers.authorization, 'Key gw-key');
      assert.deepEqual(JSON.parse(first!.body), { to: '+49 170 1', text: 'cover "A" opened (47) on 1000001 at 2025-06-01T11:59:00.000Z' });
      assert.deepEqual((await deliveries({ ruleId: r.id })).map((d) => [d.recipient, d.status]), [['+49 170 2', 'sent'], ['+49 170 1', 'sent']]);
      // A gateway that cannot be reached: the recorded reason names where, never the credential in its query.
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const down = await rule({ name: 'sms down', channel: 'sms', eventCodes: [50], recipients: ['+1'], secret: 'gw-key', url: `http://127.0.0.1:${port}/send?key={secret}`, method: 'GET' });
      await run([event(num, { code: 50 })]);
      const [failing] = await deliveries({ ruleId: down.id });
      assert.deepEqual([failing!.status, failing!.reason], ['pending', `ECONNREFUSED from http://127.0.0.1:${port}/send`]);
      await db.query('DELETE FROM notification_rules WHERE id = $1', [down.id]);
      clock += 1000;
      await run();
      const [gone] = await deliveries({ eventCode: 50 });
      assert.deepEqual([gone!.status, gone!.reason, gone!.ruleId, gone!.attempts], ['failed', 'the rule was deleted', null, 2], 'no retries once the rule is gone');
    });

    await t.test('the same event code of a device within the window is a duplicate; the quiet period suppresses', async () => {
      http.requests.length = 0;
      await run([event(num, { ts: T0 / 1000 })]);
      const sms = await deliveries({ channel: 'sms', status: 'suppressed' });
      assert.deepEqual(sms.map((d) => d.reason), ['duplicate', 'duplicate']);
      assert.equal(http.requests.length, 0);
      const q = await rule({ name: 'quiet', channel: 'webhook', eventCodes: [48], url: `${http.url}/q`, secret: 's', quietPeriod: { from: '11:00', to: '13:00' } });
      await run([event(num, { code: 48 })]);
      assert.deepEqual((await deliveries({ ruleId: q.id })).map((d) => [d.status, d.reason]), [['suppressed', 'quiet-period']]);
      clock = Date.parse('2025-06-01T13:00:00Z');
      await run([event(num, { code: 48 })]);
      assert.deepEqual((await deliveries({ ruleId: q.id })).map((d) => [d.status, d.reason]), [['sent', null], ['suppressed', 'quiet-period']]);
      assert.equal(http.requests.length, 1);
    });

    await t.test('rules of other groups and events of unknown devices notify nobody', async () => {
      const other = await db.query<{ id: string }>(`INSERT INTO device_groups (project_id, name) VALUES ($1, 'Other') RETURNING id`, [projectId]);
      const r = await rule({ name: 'other group', channel: 'webhook', eventCodes: [49], groupIds: [other.rows[0]!.id], url: `${http.url}/g`, secret: 's' });
      await run([event(num, { code: 49 }), event(num + 1000, { code: 49 })]);
      assert.deepEqual(await deliveries({ ruleId: r.id }), []);
    });

    await t.test('the outcomes are counted in the metrics', async () => {
      const text = await metrics.text();
      for (const line of [
        'hes_notifications_total{channel="email",status="sent"} 1', 'hes_notifications_total{channel="webhook",status="failed"} 1',
        'hes_notifications_total{channel="sms",status="suppressed"} 2', 'hes_notifications_total{channel="sms",status="failed"} 1', 'hes_notifier_queued_events 0',
      ]) assert.ok(text.includes(line), line);
    });
  });
}
