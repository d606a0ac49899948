/**
 * Our stored events → IEC 61968-9 EndDeviceEventType codes (type.domain.subdomain.eventOrAction, Annex E),
 * for the `created EndDeviceEvents` messages published to MDM systems (docs/cim.md). Keyed by the event's
 * stored name (the code tables of decoders/dlms/cosem/event-codes.ts name each journal's codes; the numbers
 * alone collide between journals). Device type 3 = electricity meter. An event not in the table is published
 * as 3.0.0.0 (other) with its name and our code, so the MDM loses nothing.
 */
export const OTHER_EVENT_TYPE = '3.0.0.0';

/** [our event name, EndDeviceEventType]. Domains: 26 power, 31 relay (RCD switch), 36 time. */
const ROWS: readonly (readonly [string, string])[] = [
  ['power off', '3.26.38.85'],
  ['power on', '3.26.38.49'],
  ['voltage interruption', '3.26.38.85'],
  ['voltage restored after interruption', '3.26.38.49'],
  ['consumer disconnected remotely', '3.31.0.68'],
  ['consumer connected remotely', '3.31.0.42'],
  ['time set', '3.36.116.13'],
  ['time corrected', '3.36.116.13'],
];

const BY_NAME = new Map(ROWS);

export function endDeviceEventTypeOf(eventName: string): string {
  return BY_NAME.get(eventName) ?? OTHER_EVENT_TYPE;
}

/** The table as docs/cim.md lists it. */
export const END_DEVICE_EVENT_TYPES: readonly (readonly [string, string])[] = ROWS;
