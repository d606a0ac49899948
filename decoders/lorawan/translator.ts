/**
 * The LoRaWAN payload translator behind `hes decode --protocol lorawan --codec NAME HEX`: what a payload codec
 * reads from a FRMPayload, values in physical units, for an operator checking a device's uplink by hand.
 */
import { applyScaler, unitSymbol } from '../dlms/units.js';
import { decodeCayenneLpp } from './cayenne-lpp.js';
import { decodeObisTlv } from './obis-tlv.js';
import { mapValues, Ts013Codec, type Ts013Value } from './ts013.js';

export const CODECS = ['obis-tlv', 'cayenne-lpp'] as const;
export type CodecName = (typeof CODECS)[number];

export function translatePayload(payload: Uint8Array, codec: CodecName): Record<string, unknown> {
  if (codec === 'obis-tlv') {
    const p = decodeObisTlv(payload);
    return {
      codec,
      registers: p.registers.map((r) => ({
        obis: r.obis, value: applyScaler(r.raw, r.scaler), unit: unitSymbol(r.unit), raw: r.raw, scaler: r.scaler,
        time: r.time === null ? null : new Date(r.time * 1000).toISOString(),
      })),
      status: p.status === null ? null : { word: p.status.toString(16).padStart(8, '0'), bits: [...Array(32).keys()].filter((b) => (p.status! >>> b) & 1) },
    };
  }
  return {
    codec,
    items: decodeCayenneLpp(payload).map((v) => ({ channel: v.channel, type: v.type, values: v.raws.map((r, k) => applyScaler(r, v.scalers[k]!)), unit: v.unit })),
  };
}

/**
 * A TS013 codec's answer for one payload, run in the pool's sandbox (`{data, warnings, errors}`), and with the
 * profile's `values` the readings they make (value in the mapped unit).
 */
export function translateTs013(source: string, payload: Uint8Array, fPort: number, recvTime: Date, values?: readonly Ts013Value[]): Record<string, unknown> {
  const out = new Ts013Codec(source).decodeUplink(payload, fPort, recvTime);
  if (!values) return { ...out };
  return {
    ...out,
    readings: mapValues(out.data, values).map(({ value: m, raw, scaler }) => ({
      obis: m.obis, value: applyScaler(raw, scaler), unit: m.unit ?? '', archive: m.archive ?? null, readingType: m.readingType ?? null, time: recvTime.toISOString(),
    })),
  };
}
