/**
 * ChirpStack's Protobuf marshaler (`[integration] marshaler = "protobuf"`): the `integration.UplinkEvent`,
 * `StatusEvent`, `JoinEvent`, `AckEvent`, `TxAckEvent` and `LogEvent` messages of @chirpstack/chirpstack-api, turned into the shape of the JSON
 * marshaler (proto3 JSON: camelCase, `rxInfo`, RFC 3339 `time`, base64 `data`) so that one parser (uplink.ts)
 * checks both encodings field by field.
 */
import integration from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import { ChirpstackEventError } from './uplink.js';

type Messages = typeof import('@chirpstack/chirpstack-api/integration/integration_pb.js');
const pb = integration as unknown as Messages;

const MESSAGES = { up: pb.UplinkEvent, status: pb.StatusEvent, join: pb.JoinEvent, ack: pb.AckEvent, txack: pb.TxAckEvent, log: pb.LogEvent } as const;

/** The event as the JSON marshaler would have sent it; a ChirpstackEventError when the bytes are no such message. */
export function protobufEvent(event: keyof typeof MESSAGES, bytes: Uint8Array): Record<string, unknown> {
  let o: Record<string, unknown>;
  try {
    o = MESSAGES[event].deserializeBinary(bytes).toObject() as unknown as Record<string, unknown>;
  } catch (e) {
    throw new ChirpstackEventError(`the payload is neither JSON nor a ChirpStack ${event} event in Protobuf (${(e as Error).message.slice(0, 100)})`, 'payload');
  }
  const { rxInfoList, time, ...rest } = o as { rxInfoList?: unknown; time?: { seconds: number; nanos: number } } & Record<string, unknown>;
  return {
    ...rest,
    ...(rxInfoList === undefined ? {} : { rxInfo: rxInfoList }),
    ...(time ? { time: new Date(time.seconds * 1000 + Math.floor(time.nanos / 1e6)).toISOString() } : {}),
  };
}
