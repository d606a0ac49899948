/**
 * How a comm line names an M-Bus meter (its `address`):
 *
 *   primary     1..250                   wired: the slave's primary address (0 = unconfigured slave)
 *   secondary   ID[-MAN[-VV[-TT]]]       ID: 8 digits (wired selection may use F as a wildcard digit),
 *                                        MAN: manufacturer letters, VV: version, TT: device type (hex);
 *                                        wired: selected by SND_UD CI 0x52 (absent parts are wildcards),
 *                                        wireless: the meter address telegrams carry (ID and MAN must match)
 *
 * The selection data of CI 0x52 (EN 13757-3 §11.5): ID(4, BCD LSB first, nibble F = any) M(2, FFFF = any)
 * version(1, FF = any) device type(1, FF = any).
 */
import { MbusError } from './errors.js';
import { manufacturerCode, manufacturerFromCode } from './tables.js';

export type MeterAddress =
  | { kind: 'primary'; address: number }
  | { kind: 'secondary'; id: string; manufacturer?: string; version?: number; deviceType?: number };

const SECONDARY = /^([0-9Ff]{8})(?:-([A-Za-z]{3})(?:-([0-9A-Fa-f]{2})(?:-([0-9A-Fa-f]{2}))?)?)?$/;

/** Parses a comm-line address; throws MbusError('MBUS_ERR_ENCODE') naming the accepted forms. */
export function parseMeterAddress(text: string): MeterAddress {
  const t = text.trim();
  if (/^\d{1,3}$/.test(t)) {
    const a = Number(t);
    if (a <= 250) return { kind: 'primary', address: a };
  }
  const m = SECONDARY.exec(t);
  if (!m) {
    throw new MbusError('MBUS_ERR_ENCODE', `"${text}" is neither a primary address (0-250) nor a secondary address ID[-MAN[-VV[-TT]]] (e.g. 12345678-ELS)`);
  }
  const out: MeterAddress = { kind: 'secondary', id: m[1]!.toUpperCase() };
  if (m[2]) out.manufacturer = m[2].toUpperCase();
  if (m[3]) out.version = parseInt(m[3], 16);
  if (m[4]) out.deviceType = parseInt(m[4], 16);
  return out;
}

/** The 8 data bytes of a secondary-address selection (CI 0x52); absent parts are wildcards. */
export function selectionData(a: Extract<MeterAddress, { kind: 'secondary' }>): Uint8Array {
  const out = new Uint8Array(8).fill(0xff);
  for (let k = 0; k < 4; k++) out[k] = parseInt(a.id.slice(6 - 2 * k, 8 - 2 * k), 16);
  if (a.manufacturer) {
    const m = manufacturerFromCode(a.manufacturer)!;
    out[4] = m & 0xff;
    out[5] = m >> 8;
  }
  if (a.version !== undefined) out[6] = a.version;
  if (a.deviceType !== undefined) out[7] = a.deviceType;
  return out;
}

/** True when a secondary address (selection with wildcards) matches a slave's ID(4) M(2) version type. */
export function selectionMatches(selection: Uint8Array, secondary: Uint8Array): boolean {
  for (let k = 0; k < 4; k++) {
    const s = selection[k]!;
    const v = secondary[k]!;
    if ((s >> 4) !== 0xf && (s >> 4) !== (v >> 4)) return false;
    if ((s & 0x0f) !== 0x0f && (s & 0x0f) !== (v & 0x0f)) return false;
  }
  if ((selection[4] !== 0xff || selection[5] !== 0xff) && (selection[4] !== secondary[4] || selection[5] !== secondary[5])) return false;
  if (selection[6] !== 0xff && selection[6] !== secondary[6]) return false;
  return selection[7] === 0xff || selection[7] === secondary[7];
}

/** The canonical text of a wireless meter's address, as comm lines name it: ID-MAN. */
export function wirelessAddressText(id: string, manufacturer: number): string {
  return `${id}-${manufacturerCode(manufacturer)}`;
}
