/** Test support shared by the codec's *.test.ts files (imported by tests only). */
import assert from 'node:assert/strict';
import { DlmsError, type DlmsErrorCode } from './errors.js';

/** `fn` throws a DlmsError with `code` (and `offset`, and a message matching `message`, when given). */
export function assertDlmsError(fn: () => unknown, code: DlmsErrorCode, offset?: number, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DlmsError, `expected DlmsError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (offset !== undefined) assert.equal(caught.offset, offset, caught.message);
  if (message) assert.match(caught.message, message);
}
