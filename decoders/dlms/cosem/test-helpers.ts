/** Shared assertions of the COSEM class view tests (imported only by *.test.ts). */
import assert from 'node:assert/strict';
import { decodeDataBytes, encodeDataBytes } from '../axdr/data.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';
import type { Member } from './codec.js';

/** typed → DlmsData → A-XDR bytes → DlmsData → typed gives the value back; returns the bytes. */
export function roundTrip<T>(member: Member<T>, value: T): Uint8Array {
  const bytes = encodeDataBytes(member.encode(value));
  assert.deepEqual(member.decode(decodeDataBytes(bytes)), value);
  return bytes;
}

/** `f` throws DLMS_ERR_VALUE whose message contains every fragment (e.g. the attribute name). */
export function assertValueError(f: () => unknown, ...fragments: string[]): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof DlmsError, `expected DlmsError, got ${String(e)}`);
    assert.equal(e.code, 'DLMS_ERR_VALUE');
    for (const s of fragments) assert.ok(e.message.includes(s), `"${e.message}" should mention "${s}"`);
    return true;
  });
}

export const u8 = (value: number): DlmsData => ({ type: 'unsigned', value });
export const u16 = (value: number): DlmsData => ({ type: 'long-unsigned', value });
export const octets = (...bytes: number[]): DlmsData => ({ type: 'octet-string', value: Uint8Array.from(bytes) });
