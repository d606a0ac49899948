/**
 * The SMP-M translator behind `hes decode --protocol smp-m --key HEX HEX`: the clear header, and with the
 * device's key the checked and deciphered message, for an operator reading what a base station relayed.
 * Without a key (or with the wrong one) the header is still shown, with why the rest is not.
 */
import { SmpmError } from './errors.js';
import { EVENT_CODES, decodeMessage } from './messages.js';
import { open, readHeader, SmpmKey } from './packet.js';

export function translatePacket(packet: Uint8Array, keyHex?: string): Record<string, unknown> {
  const header = readHeader(packet);
  const out: Record<string, unknown> = { ...header, type: `0x${header.type.toString(16).padStart(2, '0')}` };
  if (!keyHex) return { ...out, message: null, note: 'no key given: the payload stays ciphered' };
  const { payload } = open(packet, SmpmKey.fromHex(keyHex));
  const m = decodeMessage(header.type, payload);
  const time = (s: number) => new Date(s * 1000).toISOString();
  const message: Record<string, unknown> = { ...m };
  if ('time' in m) message.time = time(m.time);
  if (m.type === 'profile') message.slices = m.slices.map((wh, i) => ({ end: time(m.time + i * m.periodMinutes * 60), wh }));
  if (m.type === 'events') message.events = m.events.map((e) => ({ time: time(e.time), code: e.code, name: EVENT_CODES[e.code]?.name ?? null }));
  return { ...out, payload: Buffer.from(payload).toString('hex').toUpperCase(), message };
}

export { SmpmError };
