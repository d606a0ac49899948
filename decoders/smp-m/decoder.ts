/**
 * The SMP-M decoder of the pool (decoders/protocol-decoder.ts): a packet a UNB base station relayed (framing
 * SMPM, protocol `smp-m`, put on the bus by ingest/unb) with its device's context → readings, events and
 * state changes, pure.
 *
 * - The device's uplink key is its security key of kind XTEA_UPLINK (`secrets.XTEA_UPLINK`, hex). A MAC that
 *   does not match (a wrong key, an altered packet) fails the frame: "authentication failed".
 * - Replay: the station service puts the highest counter it accepted for the device before this packet in
 *   `meta.lastCounter`; a counter REPLAY_WINDOW or more behind it fails the frame ("replayed counter"); one
 *   within the window is late, not replayed (the station service dropped it if it was taken already).
 * - End of day (0x01) → archive `end-of-day`, current energy (0x02) → `current`: A+ total 1.0.1.8.0.255 and per
 *   tariff 1.0.1.8.t.255, Wh, at the packet's time. Profile (0x03) → `profile-15`/`profile-30`: 1.0.1.29.0.255
 *   (A+ in the interval), Wh, each slice at its end; a slice without value is not stored.
 * - Events (0x04) → the `events` table (journal and name from EVENT_CODES); power off/on also close and open
 *   outages (`state-outage`), relay connected/disconnected set `state-relay`.
 * - Command result (0x05) → `state-relay` when the meter reports its relay, and an event in journal `relay`.
 */
import {
  eventSeverity, OUTAGE_ARCHIVE, Quality, type DecodeOutput, type DeviceContext, type EventRow, type ProtocolDecoder, type RawFrame, type StateChange,
} from '../protocol-decoder.js';
import { SmpmError } from './errors.js';
import { EVENT_CODES, decodeMessage, type Message } from './messages.js';
import { open, REPLAY_WINDOW, SmpmKeys } from './packet.js';

/** The secret names of a device's keys in its context (the registry's security-key kinds). */
export const UPLINK_KEY_SECRET = 'XTEA_UPLINK';
export const DOWNLINK_KEY_SECRET = 'XTEA_DOWNLINK';

/** The state code of a relay in `state-relay` (as the DLMS disconnect control reads it). */
const RELAY_CODE = 'relay-state';

export class SmpmDecoder implements ProtocolDecoder {
  readonly protocol = 'smp-m';
  readonly #keys = new SmpmKeys();

  /** Every packet is ciphered under its device's key. */
  needsDevice(): boolean {
    return true;
  }

  decode(frame: RawFrame, out: DecodeOutput, device: DeviceContext | null | undefined): number {
    try {
      return this.#decode(frame, out, device);
    } catch (e) {
      if (e instanceof SmpmError) e.message = `serial ${frame.meta?.serial ?? '?'} counter ${frame.meta?.counter ?? '?'}${frame.meta?.stationId ? ` station ${frame.meta.stationId}` : ''}: ${e.message}`;
      throw e;
    }
  }

  #decode(frame: RawFrame, out: DecodeOutput, device: DeviceContext | null | undefined): number {
    if (!frame.context) throw new SmpmError('SMPM_NO_DEVICE', 'the frame has no decoding context (retention, time zone)');
    if (!device) throw new SmpmError('SMPM_NO_DEVICE', 'the registry has no such device (or it has no enabled comm line)');
    const keyHex = device.secrets[UPLINK_KEY_SECRET];
    if (!keyHex) throw new SmpmError('SMPM_NO_KEY', 'the device has no uplink key (security key XTEA_UPLINK)');
    const { header, payload } = open(frame.wire, this.#keys.get(keyHex));
    if (header.direction !== 'uplink') throw new SmpmError('SMPM_DIRECTION', 'a downlink packet relayed as an uplink', 0);
    if (String(header.serial) !== device.serial.replace(/^0+(?=\d)/, '')) throw new SmpmError('SMPM_SERIAL', `the packet names serial ${header.serial}, the device is ${device.serial}`, 1);
    const last = frame.meta?.lastCounter;
    if (last !== undefined && header.counter <= Number(last) - REPLAY_WINDOW) {
      throw new SmpmError('SMPM_REPLAY', `replayed counter ${header.counter} (the highest accepted is ${last}; up to ${REPLAY_WINDOW} behind it are taken as late)`, 5);
    }
    const m = decodeMessage(header.type, payload);
    return this.#store(m, frame, out, device);
  }

  #store(m: Message, frame: RawFrame, out: DecodeOutput, device: DeviceContext): number {
    const ctx = frame.context!;
    const block = out.readings;
    const tz = ctx.deviceTzMinutes ?? 0;
    const source = block.textId('source', ctx.source);
    const wh = block.textId('unit', 'Wh');
    const noType = block.textId('reading_type', '');
    const q = Quality.dataPresent | Quality.timeNormal;
    const reading = (archive: number, obis: string, tariff: number, ts: number, raw: number) =>
      block.add(device.num, archive, block.textId('obis', obis), noType, tariff, ts, raw, 0, wh, q, 0, tz, source, out.collectedAtSec, ctx.retentionDays);
    const states: StateChange[] = [];
    let added = 0;
    switch (m.type) {
      case 'endOfDay':
      case 'current': {
        const archive = block.textId('archive', m.type === 'endOfDay' ? 'end-of-day' : 'current');
        reading(archive, '1.0.1.8.0.255', 0, m.time, m.total);
        m.tariffs.forEach((t, i) => reading(archive, `1.0.1.8.${i + 1}.255`, i + 1, m.time, t));
        added = 1 + m.tariffs.length;
        break;
      }
      case 'profile': {
        const archive = block.textId('archive', `profile-${m.periodMinutes}`);
        m.slices.forEach((d, i) => {
          if (d === null) return;
          reading(archive, '1.0.1.29.0.255', 0, m.time + i * m.periodMinutes * 60, d);
          added++;
        });
        break;
      }
      case 'events':
        for (const e of m.events) {
          const known = EVENT_CODES[e.code];
          out.events.push(this.#event(frame, device, out.collectedAtSec, known?.journal ?? 'self-diagnostics', e.time, e.code, known?.name ?? `event ${e.code}`, {}));
          if (e.code === 0x01 || e.code === 0x02) states.push({ deviceId: device.num, archive: OUTAGE_ARCHIVE, code: 'power', value: e.code === 0x01 ? 'off' : 'on', at: e.time * 1000 });
          if (e.code === 0x05 || e.code === 0x06) states.push({ deviceId: device.num, archive: 'state-relay', code: RELAY_CODE, value: e.code === 0x06 ? 'connected' : 'disconnected', at: e.time * 1000 });
        }
        break;
      case 'commandResult':
        out.events.push(this.#event(frame, device, out.collectedAtSec, 'relay', Math.floor(frame.receivedAt / 1000), m.command, `downlink command ${m.result}`, {
          downlinkCounter: m.downlinkCounter, command: m.command, result: m.result, relay: m.relay,
        }));
        if (m.relay) states.push({ deviceId: device.num, archive: 'state-relay', code: RELAY_CODE, value: m.relay, at: frame.receivedAt });
        break;
      default:
        throw new SmpmError('SMPM_DIRECTION', `message ${m.type} is a downlink message`, 9);
    }
    // A packet shows the meter communicates (an outage ends), unless it reports the power going off last.
    const lastPower = states.filter((s) => s.archive === OUTAGE_ARCHIVE).pop();
    if (!lastPower) states.push({ deviceId: device.num, archive: OUTAGE_ARCHIVE, code: 'power', value: 'on', at: frame.receivedAt });
    out.states.push(...states);
    return added;
  }

  #event(frame: RawFrame, device: DeviceContext, collectedAtSec: number, journal: string, ts: number, code: number, name: string, params: object): EventRow {
    const ctx = frame.context!;
    return {
      device_id: device.num, journal, ts, code, name, params: JSON.stringify({ counter: Number(frame.meta?.counter), ...params }), raw: Buffer.from(frame.wire).toString('hex'),
      device_tz: ctx.deviceTzMinutes ?? 0, source: ctx.source, collected_at: collectedAtSec, retention_days: ctx.retentionDays, severity: eventSeverity(device, name),
    };
  }
}
