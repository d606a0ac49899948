/**
 * LoRaWAN application payloads in the decoder pool: the uplink's FRMPayload (as ChirpStack forwarded it,
 * ingest/chirpstack) decoded by the payload codec the device profile's `lorawan` section names for the uplink's
 * fPort, its values mapped to readings and its status to events. What a codec cannot read, and an uplink whose
 * device or profile names no codec for its fPort, fails the frame: a dead letter whose reason names the
 * DevEUI and fPort. A ChirpStack device-status event (`meta.event = status`, no wire bytes) is a state change:
 * `state-info` / `lorawan-status` = `{batteryLevel, margin, externalPowerSource}`; a join event (`meta.event = join`)
 * is `state-info` / `lorawan-join` = `{devAddr}` (a new DevAddr: the device rejoined); `ack`, `txack` and `log` events are
 * `state-info` / `lorawan-ack` (`{queueItemId, acknowledged, fCntDown}`), `lorawan-txack`, `lorawan-log` (`{level, code, description}`).
 *
 * Codec `wmbus`: the payload is a wireless M-Bus telegram (a meter's radio module that sends its OMS telegram
 * over LoRaWAN): handed whole to the M-Bus decoder, with the profile's `mbus` mapping and the device's MBUS_AES key.
 */
import type { LorawanProfileSection } from '../../schemas/device-profile.js';
import type { DecodeOutput, DeviceContext, EventRow, ProtocolDecoder, RawFrame } from '../protocol-decoder.js';
import { eventSeverity, Quality } from '../protocol-decoder.js';
import { unitSymbol } from '../dlms/units.js';
import { isDlmsError } from '../dlms/errors.js';
import { DlmsFrameDecoder } from '../dlms/frame-decoder.js';
import { decodeCayenneLpp } from './cayenne-lpp.js';
import { LorawanError } from './errors.js';
import { decodeObisTlv } from './obis-tlv.js';
import { MbusFrameDecoder } from '../mbus/frame-decoder.js';
import { isMbusError } from '../mbus/errors.js';
import { Ts013Codec, mapValues } from './ts013.js';

/** Compiled TS013 codecs kept per worker, by script text (a profile change brings a new script; old ones age out). */
const TS013_CACHE_SIZE = 64;

/** The journal of a status bit the profile puts in none. */
export const STATUS_JOURNAL = 'self-diagnostics';

export class LorawanDecoder implements ProtocolDecoder {
  readonly protocol = 'lorawan';
  readonly #mbus = new MbusFrameDecoder();
  readonly #ts013 = new Map<string, Ts013Codec | LorawanError>();
  readonly #dlms = new DlmsFrameDecoder();

  needsDevice(): boolean {
    return true; // the codec is the device profile's
  }

  decode(frame: RawFrame, out: DecodeOutput, device: DeviceContext | null | undefined): number {
    const devEui = frame.meta?.devEui ?? '?';
    const fPort = Number(frame.meta?.fPort);
    try {
      if (!frame.context) throw new LorawanError('LORAWAN_NO_CONTEXT', 'the frame has no decoding context (archive, retention)');
      if (!device) throw new LorawanError('LORAWAN_NO_DEVICE', 'the registry has no such device (or it has no comm line)');
      if (frame.meta?.event === 'status') return this.#status(frame, out, device);
      const event = frame.meta?.event;
      if (event === 'ack' || event === 'txack' || event === 'log') {
        // ChirpStack's word on a downlink (or the device): a state, the command's outcome is settled by the intake.
        const { devEui: _d, applicationId: _a, deduplicationId: _i, event: _e, ...value } = frame.meta!;
        out.states.push({ deviceId: device.num, archive: 'state-info', code: `lorawan-${event}`, at: frame.receivedAt, value: event === 'ack' ? { ...value, acknowledged: value.acknowledged === 'true' } : value });
        return 0;
      }
      if (frame.meta?.event === 'join') {
        out.states.push({ deviceId: device.num, archive: 'state-info', code: 'lorawan-join', at: frame.receivedAt, value: { devAddr: frame.meta.devAddr } });
        return 0;
      }
      const section = device.profile?.body.lorawan as LorawanProfileSection | undefined;
      if (!section) throw new LorawanError('LORAWAN_NO_CODEC', `device profile ${device.profile?.id ?? '(none)'} has no lorawan section`);
      const entry = section.codecs.find((c) => !c.fPorts || c.fPorts.includes(fPort));
      if (!entry) throw new LorawanError('LORAWAN_NO_CODEC', `device profile ${device.profile!.id} names no codec for fPort ${fPort}`);
      const n = entry.codec === 'obis-tlv' ? this.#obisTlv(frame, out, device, section)
        : entry.codec === 'wmbus' ? this.#mbus.decode(frame, out, device)
          : entry.codec === 'ts013' ? this.#runTs013(frame, out, device, entry.script ?? '', section)
          // A DLMS meter's DataNotification (or EventNotification) in the FRMPayload: a push, as the profile's `pushes` declare it.
          : entry.codec === 'dlms' ? this.#dlms.decode({ ...frame, framing: 'APDU', context: null, deviceId: device.num }, out, device)
          : this.#lpp(frame, out, device, section);
      return n + (section.radio ? this.#radio(frame, out, device, section.radio) : 0);
    } catch (e) {
      if (e instanceof LorawanError || isDlmsError(e) || isMbusError(e)) e.message = `DevEUI ${devEui} fPort ${fPort}: ${e.message}`;
      throw e;
    }
  }

  #obisTlv(frame: RawFrame, out: DecodeOutput, device: DeviceContext, section: LorawanProfileSection): number {
    const p = decodeObisTlv(frame.wire);
    const ctx = frame.context!;
    const block = out.readings;
    const archive = block.textId('archive', ctx.archive);
    const source = block.textId('source', ctx.source);
    const tz = ctx.deviceTzMinutes ?? 0;
    const noType = block.textId('reading_type', '');
    const received = Math.floor(frame.receivedAt / 1000);
    for (const r of p.registers) {
      block.add(
        device.num, archive, block.textId('obis', r.obis), noType, r.tariff, r.time ?? received, r.raw, r.scaler, block.textId('unit', unitSymbol(r.unit)),
        Quality.dataPresent | Quality.timeNormal, p.status ?? 0, tz, source, out.collectedAtSec, ctx.retentionDays,
      );
    }
    if (p.status) {
      const bits = new Map((section.statusBits ?? []).map((b) => [b.bit, b]));
      const ts = p.registers.find((r) => r.time !== null)?.time ?? received;
      for (let bit = 0; bit < 32; bit++) {
        if (!((p.status >>> bit) & 1)) continue;
        const b = bits.get(bit);
        out.events.push(this.#event(frame, device, out.collectedAtSec, { journal: b?.journal ?? STATUS_JOURNAL, ts, code: bit, name: b?.name ?? `status bit ${bit}`, params: { statusWord: p.status, fCnt: Number(frame.meta?.fCnt) }, raw: p.status.toString(16).padStart(8, '0') }));
      }
    }
    return p.registers.length;
  }

  /** The uplink's radio figures (from ChirpStack, in `meta`) the profile keeps, as readings of the uplink's time. */
  #radio(frame: RawFrame, out: DecodeOutput, device: DeviceContext, radio: NonNullable<LorawanProfileSection['radio']>): number {
    const meta = frame.meta!;
    const ctx = frame.context!;
    const block = out.readings;
    const figures: [string | undefined, string | undefined, number, string][] = [
      [radio.rssi, meta.rssi, 0, 'dBm'], [radio.snr, meta.snr, -1, 'dB'], [radio.gateways, meta.gateways, 0, ''], [radio.spreadingFactor, meta.spreadingFactor, 0, ''],
    ];
    let added = 0;
    for (const [obis, text, scaler, unit] of figures) {
      if (!obis || text === undefined) continue;
      block.add(
        device.num, block.textId('archive', radio.archive ?? 'network'), block.textId('obis', obis), block.textId('reading_type', ''), 0,
        Math.floor(frame.receivedAt / 1000), Math.round(Number(text) * 10 ** -scaler), scaler, block.textId('unit', unit), Quality.dataPresent | Quality.timeNormal, 0,
        ctx.deviceTzMinutes ?? 0, block.textId('source', ctx.source), out.collectedAtSec, ctx.retentionDays,
      );
      added++;
    }
    return added;
  }

  #status(frame: RawFrame, out: DecodeOutput, device: DeviceContext): number {
    const m = frame.meta!;
    out.states.push({
      deviceId: device.num, archive: 'state-info', code: 'lorawan-status', at: frame.receivedAt,
      value: { batteryLevel: m.batteryLevel === undefined ? null : Number(m.batteryLevel), margin: Number(m.margin), externalPowerSource: m.externalPowerSource === 'true' },
    });
    return 0;
  }

  #lpp(frame: RawFrame, out: DecodeOutput, device: DeviceContext, section: LorawanProfileSection): number {
    const values = decodeCayenneLpp(frame.wire);
    const ctx = frame.context!;
    const block = out.readings;
    const source = block.textId('source', ctx.source);
    const tz = ctx.deviceTzMinutes ?? 0;
    const ts = Math.floor(frame.receivedAt / 1000);
    let added = 0;
    for (const v of values) {
      const m = section.channels?.find((c) => c.channel === v.channel && (c.type === undefined || c.type === v.type));
      if (!m) continue; // the profile stores only the channels it names
      if (v.raws.length !== 1) throw new LorawanError('LPP_NOT_A_READING', `channel ${v.channel} ${v.type} has ${v.raws.length} values: not one reading`);
      block.add(
        device.num, block.textId('archive', m.archive ?? ctx.archive), block.textId('obis', m.obis), block.textId('reading_type', m.readingType ?? ''), 0, ts,
        v.raws[0]!, v.scalers[0]! + (m.scaler ?? 0), block.textId('unit', m.unit ?? v.unit), Quality.dataPresent | Quality.timeNormal, 0, tz, source,
        out.collectedAtSec, ctx.retentionDays,
      );
      added++;
    }
    return added;
  }

  /** A TS013 codec's `data`, the values the profile's `values` name as readings of the uplink's time. */
  #runTs013(frame: RawFrame, out: DecodeOutput, device: DeviceContext, script: string, section: LorawanProfileSection): number {
    const { data } = this.#codec(script).decodeUplink(frame.wire, Number(frame.meta?.fPort), new Date(frame.receivedAt));
    const ctx = frame.context!;
    const block = out.readings;
    const ts = Math.floor(frame.receivedAt / 1000);
    const values = mapValues(data, section.values ?? []);
    for (const { value: m, raw, scaler } of values) {
      block.add(
        device.num, block.textId('archive', m.archive ?? ctx.archive), block.textId('obis', m.obis), block.textId('reading_type', m.readingType ?? ''), 0, ts,
        raw, scaler, block.textId('unit', m.unit ?? ''), Quality.dataPresent | Quality.timeNormal, 0, ctx.deviceTzMinutes ?? 0,
        block.textId('source', ctx.source), out.collectedAtSec, ctx.retentionDays,
      );
    }
    return values.length;
  }

  #codec(script: string): Ts013Codec {
    let codec = this.#ts013.get(script);
    if (!codec) {
      try {
        codec = new Ts013Codec(script);
      } catch (e) {
        if (!(e instanceof LorawanError)) throw e;
        codec = e;
      }
      if (this.#ts013.size >= TS013_CACHE_SIZE) this.#ts013.delete(this.#ts013.keys().next().value!);
      this.#ts013.set(script, codec);
    }
    if (codec instanceof LorawanError) throw new LorawanError(codec.code, codec.message);
    return codec;
  }

  #event(frame: RawFrame, device: DeviceContext, collectedAtSec: number, e: { journal: string; ts: number; code: number; name: string; params: object; raw: string }): EventRow {
    const ctx = frame.context!;
    return {
      device_id: device.num, journal: e.journal, ts: e.ts, code: e.code, name: e.name, params: JSON.stringify(e.params), raw: e.raw,
      device_tz: ctx.deviceTzMinutes ?? 0, source: ctx.source, collected_at: collectedAtSec, retention_days: ctx.retentionDays,
      severity: eventSeverity(device, e.name),
    };
  }
}
