/** `hes decode` as an operator runs it: a child process, exit codes, JSON on stdout, one-line errors. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

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
