/**
 * From the meter's journal to the operator: an event journal frame goes over the embedded bus through the
 * decoder pool into chDB, and once the batch is stored the notifier of the data plane sends the webhook
 * and the email of the project's rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openDataPlane } from '../cli/data-plane.js';
import { loadConfig } from '../config/index.js';
import { deviceKey } from '../bus/types.js';
import { AvroSerde } from '../schemas/registry/index.js';
import { Topics, type RawFrame } from '../schemas/avro/index.js';
import { encodeApdu } from '../decoders/dlms/apdu/index.js';
import { dateTimeFromUtcMs, encodeDateTime } from '../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import type { CaptureObject } from '../decoders/protocol-decoder.js';
import { openTestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createRule } from '../registry/notifications.js';
import { projectWithDevice, startHttpReceiver, startMailServer } from './testing.js';

const T = Date.parse('2025-05-28T12:34:56Z');
const co = (obis: string, classId: number): CaptureObject => ({ classId, obis, attribute: 2, dataIndex: 0, scaler: 0, unit: '', readingType: null, tariff: 0 });

/** A power-on-off journal of two entries (codes 1 "power off", 2 "power on") as a meter answers it. */
function journalFrame(deviceId: number): RawFrame {
  const time = (ms: number): DlmsData => ({ type: 'octet-string', value: encodeDateTime(dateTimeFromUtcMs(ms, 0, 0)) });
  const row = (ms: number, code: number): DlmsData => ({ type: 'structure', value: [time(ms), { type: 'long-unsigned', value: code }] });
  const apdu = encodeApdu({ type: 'get-response-normal', invokeIdAndPriority: 0xc1, result: { type: 'data', value: { type: 'array', value: [row(T - 60_000, 1), row(T, 2)] } } });
  return {
    frameId: 'journal-1', wire: Buffer.from(apdu), framing: 'APDU', direction: 'UPLINK', deviceId, commLineId: null, connector: 'tcp', receivedAt: T + 5000, sessionId: 's',
    context: {
      archive: 'events', retentionDays: 0, deviceTzMinutes: 0, source: 'POLL', journal: 'power-on-off', eventCodes: 'power',
      captureObjects: [co('0.0.1.0.0.255', 8), co('0.0.96.11.2.255', 1)],
    },
  };
}

test('events stored by the pipeline (embedded bus, chDB) reach the webhook and the mailbox of the matching rules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-notify-'));
  const { db, drop } = await openTestDb('pglite');
  const box = new SecretBox(Buffer.alloc(32, 5));
  const http = await startHttpReceiver();
  const mail = await startMailServer('mailer', 'Pass-word1');
  const data = await openDataPlane(loadConfig({ env: {}, overrides: { dataDir: dir, decoderThreads: 1 } }), (m) => assert.fail(m), { db, box });
  t.after(async () => {
    await data.close();
    await mail.close();
    await http.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const { projectId, deviceId, num } = await projectWithDevice(db, 'Feeder');
  await db.query(`UPDATE email_settings SET sender_email = 'hes@example.org', smtp_host = '127.0.0.1', smtp_port = $1, security = 'none', username = 'mailer', password_enc = $2 WHERE id = 1`,
    [mail.port, box.encrypt('Pass-word1', 'email-settings')]);
  await createRule(db, box, projectId, { name: 'outage hook', channel: 'webhook', eventCodes: [1], url: `${http.url}/events`, secret: 'k' });
  await createRule(db, box, projectId, { name: 'outage mail', channel: 'email', eventCodes: [1, 2], recipients: ['grid@example.org'], dedupSeconds: 0 });

  const serde = await AvroSerde.create<RawFrame>(data.schemas, Topics.rawFrames, 'raw-frame');
  const producer = await data.bus.producer();
  await producer.send(Topics.rawFrames, [{ key: deviceKey(num), value: serde.encode(journalFrame(num)) }]);
  await producer.close();
  for (let i = 0; i < 600 && (http.requests.length < 1 || mail.messages.length < 2); i++) await sleep(50);

  const stored = await data.engine.query<{ code: number }>('SELECT code FROM events WHERE device_id = {d:UInt64} ORDER BY ts', { d: num });
  assert.deepEqual(stored.map((r) => Number(r.code)), [1, 2], 'stored in ClickHouse');
  assert.equal(http.requests.length, 1, 'the power-off event only');
  const body = JSON.parse(http.requests[0]!.body);
  assert.deepEqual([body.device.id, body.event.code, body.event.name, body.event.time], [deviceId, 1, 'power off', new Date(T - 60_000).toISOString()]);
  assert.deepEqual(mail.messages.map((m) => /^Subject: (.*?)\r?$/m.exec(m.raw)?.[1]).sort(), [
    '[HES] power off (code 1) on CE308 1000001', '[HES] power on (code 2) on CE308 1000001',
  ]);
});
