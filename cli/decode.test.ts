/** `hes decode` as an operator runs it: a child process, exit codes, JSON on stdout, one-line errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { TS013_WATER_CODEC, TS013_WATER_UPLINK } from '../decoders/lorawan/fixtures.js';

// Run the sibling hes.js (from dist/) or hes.ts (from source under tsx).
const self = fileURLToPath(import.meta.url);
const hes = self.replace(/decode\.test\.(ts|js)$/, 'hes.$1');
const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];

function run(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...loader, hes, 'decode', ...args], { input, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('decodes hex from arguments and prints JSON with dotted OBIS', () => {
  const r = run(['C0 01 C1 00 08 00 00 01 00 00 FF 02 00']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.framing, 'apdu');
  assert.equal(out.apdus[0].apdu.attribute.instanceId, '0.0.1.0.0.255');
});

test('reads hex from stdin and deciphers with the keys given (Green Book Table 40)', () => {
  const r = run(
    ['--block-cipher-key', '000102030405060708090A0B0C0D0E0F', '--auth-key', 'D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF', '--system-title', '4D4D4D0000BC614E', '--compact'],
    'C8 1E 30 01 23 45 67 41 13 12 FF 93 5A 47 56 68 27 C4 67 BC 7D 82 5C 3B E4 A7 7C 3F CC 05 6B 6B\n',
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.apdus[0].ciphered.deciphered, true);
  assert.equal(out.apdus[0].apdu.attribute.classId, 8);
});

test('undecodable input: exit 2 and a one-line error naming the offset', () => {
  const r = run(['C0 01']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^hes decode: DLMS_ERR_TRUNCATED: .* at offset 2\n$/);
  const bad = run(['--block-cipher-key', '0011', 'C0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /block-cipher-key must be 16 bytes/);
});

// OMS Vol. 2 Annex N, security profile A (decoders/mbus/fixtures.ts names the source).
const OMS_MODE5 = '2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A';

test('--protocol mbus --key: a mode 5 telegram with its CRC blocks, records in physical units', () => {
  const r = run(['--protocol', 'mbus', '--key', '0102030405060708090A0B0C0D0E0F11', OMS_MODE5]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.frameFormat, 'A');
  assert.equal(out.link.manufacturer, 'ELS');
  assert.equal(out.meter.id, '12345678');
  assert.equal(out.meter.medium, 'gas');
  assert.equal(out.security.mode, 5);
  assert.deepEqual(out.records[0], {
    dib: '0C', vib: '14', storage: 0, tariff: 0, subunit: 0, function: 'instantaneous', quantity: 'volume', value: 28504.27, unit: 'm3', raw: 2850427, exponent: -2,
  });
  assert.equal(out.records[1].value, '2008-05-31T23:50:00');
});

test('--protocol mbus: a wrong key exits 2 with "decryption failed (check the key)"; no key shows the headers', () => {
  const r = run(['--protocol', 'mbus', '--key', '00000000000000000000000000000000', OMS_MODE5]);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^hes decode: MBUS_ERR_DECRYPT: decryption failed \(check the key\)/);
  const headers = run(['--protocol', 'mbus', '--compact'], OMS_MODE5 + '\n');
  assert.equal(headers.code, 0, headers.stderr);
  const out = JSON.parse(headers.stdout);
  assert.equal(out.security.decrypted, false);
  assert.deepEqual(out.records, []);
  assert.match(out.note, /--key/);
});

test('--protocol mbus: a wired long frame; bad input exits 2 naming the problem', () => {
  const r = run(['--protocol', 'mbus', '68 19 19 68 08 02 72 78 56 34 12 24 40 01 07 55 00 00 00 03 FC 20 03 43 42 41 15 31 00 7F 16']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.medium, 'wired');
  assert.equal(out.records[0].unit, 'ABC');
  assert.deepEqual(out.records[0].vife, ['per second']);
  const cut = run(['--protocol', 'mbus', OMS_MODE5.slice(0, 40)]);
  assert.equal(cut.code, 2);
  assert.match(cut.stderr, /^hes decode: MBUS_ERR_LENGTH: L field 46/);
  const badKey = run(['--protocol', 'mbus', '--key', '0011', OMS_MODE5]);
  assert.equal(badKey.code, 2);
  assert.match(badKey.stderr, /--key must be 16 bytes/);
  const notHex = run(['--protocol', 'mbus', 'ZZ']);
  assert.equal(notHex.code, 2);
  assert.match(notHex.stderr, /telegram: not a hex digit/);
});

test('--protocol lorawan --codec: an OBIS-TLV and a Cayenne LPP payload in physical units; bad input exits 2', () => {
  const tlv = run(['--protocol', 'lorawan', '--codec', 'obis-tlv', '--compact', '01016B15F700020100010801FF021E0600003039020100200700FFFF2312090A0300000005']);
  assert.equal(tlv.code, 0, tlv.stderr);
  assert.deepEqual(JSON.parse(tlv.stdout), {
    codec: 'obis-tlv',
    registers: [
      { obis: '1.0.1.8.1.255', value: 1234500, unit: 'Wh', raw: 12345, scaler: 2, time: '2026-12-07T00:00:00.000Z' },
      { obis: '1.0.32.7.0.255', value: 231.4, unit: 'V', raw: 2314, scaler: -1, time: '2026-12-07T00:00:00.000Z' },
    ],
    status: { word: '00000005', bits: [0, 2] },
  });
  const lpp = run(['--protocol', 'lorawan', '--codec', 'cayenne-lpp'], '03 67 01 10 05 67 00 FF\n');
  assert.deepEqual(JSON.parse(lpp.stdout).items, [{ channel: 3, type: 'temperature', values: [27.2], unit: '°C' }, { channel: 5, type: 'temperature', values: [25.5], unit: '°C' }]);
  const bad = run(['--protocol', 'lorawan', '--codec', 'cayenne-lpp', '0399']);
  assert.deepEqual([bad.code, bad.stderr], [2, 'hes decode: LPP_TYPE: channel 3: LPP type 153 is not known\n']);
  assert.match(run(['--protocol', 'lorawan', '01']).stderr, /--codec must be one of obis-tlv, cayenne-lpp, dlms or a TS013 codec FILE.js/);
  assert.match(run(['--codec', 'obis-tlv', '01']).stderr, /--codec, --fport, --time and --profile are for --protocol lorawan/);
  assert.match(run(['--protocol', 'lorawan', '--codec', 'obis-tlv', '--fport', '2', '01']).stderr, /--fport, --time and --profile are for a TS013 codec/);
});

test('--protocol lorawan --codec dlms: a DLMS APDU carried in the FRMPayload (a GET response)', () => {
  const r = run(['--protocol', 'lorawan', '--codec', 'dlms', '--compact', 'C4 01 C1 00 06 00 00 30 39']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.framing, 'apdu');
  assert.match(JSON.stringify(out.apdus[0]), /12345/);
});

test('--protocol lorawan --codec FILE.js: a TS013 codec in the sandbox, with --profile its readings; a failing codec exits 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-ts013-'));
  try {
    writeFileSync(join(dir, 'water.js'), TS013_WATER_CODEC);
    writeFileSync(join(dir, 'loop.js'), 'function decodeUplink() { while (true) {} }');
    writeFileSync(join(dir, 'profile.json'), JSON.stringify({ lorawan: { codecs: [{ codec: 'ts013', script: 'x' }], values: [{ path: 'volume', obis: '8.0.1.0.0.255', unit: 'm³' }, { path: 'temperature', obis: '8.0.41.0.0.255', unit: '°C', scaler: 0 }] } }));
    const r = run(['--protocol', 'lorawan', '--codec', join(dir, 'water.js'), '--fport', '10', '--time', '2026-12-07T10:30:00Z', '--compact', TS013_WATER_UPLINK]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { data: { volume: 1234.567, temperature: 12.34, alarms: { leak: true, reverseFlow: false } }, warnings: ['leak'], errors: [] });
    const p = run(['--protocol', 'lorawan', '--codec', join(dir, 'water.js'), '--fport', '10', '--time', '2026-12-07T10:30:00Z', '--profile', join(dir, 'profile.json'), '--compact', TS013_WATER_UPLINK]);
    assert.deepEqual(JSON.parse(p.stdout).readings, [
      { obis: '8.0.1.0.0.255', value: 1234.567, unit: 'm³', archive: null, readingType: null, time: '2026-12-07T10:30:00.000Z' },
      { obis: '8.0.41.0.0.255', value: 12.34, unit: '°C', archive: null, readingType: null, time: '2026-12-07T10:30:00.000Z' },
    ]);
    const errors = run(['--protocol', 'lorawan', '--codec', join(dir, 'water.js'), '--fport', '10', '01']);
    assert.deepEqual([errors.code, errors.stderr], [2, 'hes decode: TS013_CODEC_ERRORS: the codec reports: payload too short: 1 bytes\n']);
    const loop = run(['--protocol', 'lorawan', '--codec', join(dir, 'loop.js'), '--fport', '1', '00']);
    assert.deepEqual([loop.code, loop.stderr], [2, 'hes decode: TS013_TIMEOUT: decodeUplink ran longer than 50 ms\n']);
    assert.match(run(['--protocol', 'lorawan', '--codec', join(dir, 'water.js'), '00']).stderr, /--fport must be the uplink's fPort, 1-223/);
    assert.match(run(['--protocol', 'lorawan', '--codec', join(dir, 'water.js'), '--fport', '10', '--time', 'yesterday', '00']).stderr, /--time: yesterday is not an ISO 8601 time/);
    assert.match(run(['--protocol', 'lorawan', '--codec', join(dir, 'none.js'), '--fport', '10', '00']).stderr, /--codec: .*none.js cannot be read \(ENOENT\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--protocol smp-m --key: the header and the deciphered message; wrong key and short packet exit 2', () => {
  const packet = '100B9F76D20000002A02DF4C15AE059E7BE1902011AD6B21858628DF91700E';
  const r = run(['--protocol', 'smp-m', '--key', '000102030405060708090A0B0C0D0E0F', '--compact', packet]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    direction: 'uplink', serial: 195000018, counter: 42, type: '0x02', payload: '6B167C98020012EBC0000C40B80006AB07',
    message: { type: 'current', time: '2026-12-07T09:30:00.000Z', total: 1240000, tariffs: [803000, 436999] },
  });
  assert.equal(JSON.parse(run(['--protocol', 'smp-m', packet]).stdout).message, null);
  const wrong = run(['--protocol', 'smp-m', '--key', 'F0E1D2C3B4A5968778695A4B3C2D1E0F', packet]);
  assert.deepEqual([wrong.code, wrong.stderr], [2, 'hes decode: SMPM_AUTH: authentication failed: the MAC does not match (wrong key or altered packet)\n']);
  assert.match(run(['--protocol', 'smp-m', '100B9F']).stderr, /SMPM_TRUNCATED/);
  assert.match(run(['--protocol', 'smp-m', '--key', '0011', packet]).stderr, /--key must be 16 bytes/);
});
