/**
 * OBIS codes (IEC 62056-6-1): six value groups A..F, one byte each, carried as the 6-byte logical
 * name of a COSEM object. Two text forms are accepted: dotted "1.0.99.1.0.255" and the IEC form
 * "1-0:99.1.0*255" (F may be omitted there and then means 255; "1-0:99.1.0.255" is also read).
 */
import { DlmsError } from './errors.js';

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IEC = /^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[*.&](\d{1,3}))?$/;

/** The 6-byte logical name of an OBIS code in either text form. */
export function parseObis(text: string): Uint8Array {
  const t = text.trim();
  const m = DOTTED.exec(t) ?? IEC.exec(t);
  if (!m) throw new DlmsError('DLMS_ERR_VALUE', `"${text}" is not an OBIS code (A.B.C.D.E.F or A-B:C.D.E*F)`);
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    const v = m[i + 1] === undefined ? 255 : Number(m[i + 1]);
    if (v > 255) throw new DlmsError('DLMS_ERR_VALUE', `OBIS "${text}": value group ${'ABCDEF'[i]} = ${v} exceeds 255`);
    out[i] = v;
  }
  return out;
}

/** Text form of the 6 bytes at `offset`: 'dotted' "1.0.99.1.0.255" or 'iec' "1-0:99.1.0*255". */
export function formatObis(b: Uint8Array, offset = 0, style: 'dotted' | 'iec' = 'dotted'): string {
  if (offset < 0 || offset + 6 > b.length) {
    throw new DlmsError('DLMS_ERR_TRUNCATED', `expected an OBIS code (6 bytes), ${Math.max(0, b.length - offset)} left`, offset);
  }
  const [a, bb, c, d, e, f] = b.subarray(offset, offset + 6);
  return style === 'iec' ? `${a}-${bb}:${c}.${d}.${e}*${f}` : `${a}.${bb}.${c}.${d}.${e}.${f}`;
}
