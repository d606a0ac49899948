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

/** One stored event as an MDM is told it: the device by registry id (mRID) and serial. */
export interface CimEndDeviceEvent {
  /** Unique per stored event: the message's MessageID and the EndDeviceEvent's mRID. */
  id: string;
  device: { mRID: string; serialNumber: string };
  event: { journal: string; code: number; name: string; severity: string | null; time: string };
}

/**
 * The IEC 61968-100 EventMessage `created EndDeviceEvents` of one stored event (JSON, docs/cim.md): the
 * EndDeviceEventType from the table above, our code, journal and severity as EndDeviceEventDetails. The same
 * message goes to subscribed MDM endpoints (notify/) and to the bus topic `hes.cim.events` (workers/pipeline.ts).
 */
export function endDeviceEventsMessage(e: CimEndDeviceEvent, nowMs: number): object {
  const details = [['code', String(e.event.code)], ['journal', e.event.journal], ...(e.event.severity ? [['severity', e.event.severity]] : [])];
  return {
    EventMessage: {
      Header: { Verb: 'created', Noun: 'EndDeviceEvents', Timestamp: new Date(nowMs).toISOString(), Source: 'HES', MessageID: e.id },
      Payload: {
        EndDeviceEvents: {
          EndDeviceEvent: [{
            mRID: e.id, createdDateTime: e.event.time, reason: e.event.name, EndDeviceEventType: { ref: endDeviceEventTypeOf(e.event.name) },
            Assets: { mRID: e.device.mRID, Names: { name: e.device.serialNumber } },
            EndDeviceEventDetails: details.map(([name, value]) => ({ name, value })),
          }],
        },
      },
    },
  };
}
