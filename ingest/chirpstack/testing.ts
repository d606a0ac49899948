/** Test support: ChirpStack v4 uplink events in the JSON marshaler's shape (ingest/chirpstack/uplink.ts). */
import { randomUUID } from 'node:crypto';
import gwModule from '@chirpstack/chirpstack-api/gw/gw_pb.js';
import integration from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import timestampModule from 'google-protobuf/google/protobuf/timestamp_pb.js';

const pb = integration as unknown as typeof import('@chirpstack/chirpstack-api/integration/integration_pb.js');
const gw = gwModule as unknown as typeof import('@chirpstack/chirpstack-api/gw/gw_pb.js');
const { Timestamp } = timestampModule as unknown as typeof import('google-protobuf/google/protobuf/timestamp_pb.js');

export interface UplinkEventOptions {
  applicationId: string;
  devEui: string;
  /** FRMPayload, hex. */
  payload: string;
  fPort?: number;
  fCnt?: number;
  time?: string;
  deduplicationId?: string;
  /** RSSI per gateway that heard it. */
  rssi?: number[];
}

export function uplinkEvent(o: UplinkEventOptions): Record<string, unknown> {
  const rssi = o.rssi ?? [-57];
  return {
    deduplicationId: o.deduplicationId ?? randomUUID(),
    time: o.time ?? new Date().toISOString(),
    deviceInfo: {
      tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242', tenantName: 'Utility', applicationId: o.applicationId, applicationName: 'meters',
      deviceProfileId: 'a8e1c2d0-7b6e-4f0e-9c1a-3f5d2b7e8a90', deviceProfileName: 'OBIS-TLV meter', deviceName: `meter-${o.devEui.toLowerCase()}`,
      devEui: o.devEui.toLowerCase(), deviceClassEnabled: 'CLASS_A', tags: {},
    },
    devAddr: '01fa3b2c', adr: true, dr: 5, fCnt: o.fCnt ?? 1, fPort: o.fPort ?? 2, confirmed: false,
    data: Buffer.from(o.payload, 'hex').toString('base64'),
    rxInfo: rssi.map((r, i) => ({ gatewayId: `0016c001f15${String(i).padStart(5, '0')}`, uplinkId: 1000 + i, rssi: r, snr: 9.5 - i, channel: 2, location: {}, context: 'AAAAAA==', crcStatus: 'CRC_OK' })),
    txInfo: { frequency: 868500000, modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } } },
  };
}

/** The same uplink as ChirpStack's Protobuf marshaler sends it (`integration.UplinkEvent`). */
export function protobufUplinkEvent(o: UplinkEventOptions): Uint8Array {
  const json = uplinkEvent(o) as { deduplicationId: string; time: string; fCnt: number; fPort: number; dr: number; devAddr: string };
  const m = new pb.UplinkEvent();
  m.setDeduplicationId(json.deduplicationId);
  m.setTime(Timestamp.fromDate(new Date(json.time)));
  const info = new pb.DeviceInfo();
  info.setApplicationId(o.applicationId);
  info.setDevEui(o.devEui.toLowerCase());
  info.setDeviceName(`meter-${o.devEui.toLowerCase()}`);
  m.setDeviceInfo(info);
  m.setDevAddr(json.devAddr);
  m.setDr(json.dr);
  m.setFCnt(json.fCnt);
  m.setFPort(json.fPort);
  m.setData(Buffer.from(o.payload, 'hex'));
  (o.rssi ?? [-57]).forEach((r, i) => {
    const rx = new gw.UplinkRxInfo();
    rx.setGatewayId(`0016c001f15${String(i).padStart(5, '0')}`);
    rx.setRssi(r);
    rx.setSnr(9.5 - i);
    m.addRxInfo(rx);
  });
  return m.serializeBinary();
}

/** An `ack` event as ChirpStack's Protobuf marshaler sends it (`integration.AckEvent`). */
export function protobufAckEvent(o: { applicationId: string; devEui: string; queueItemId: string; acknowledged: boolean; fCntDown: number }): Uint8Array {
  const m = new pb.AckEvent();
  m.setDeduplicationId(randomUUID());
  m.setTime(Timestamp.fromDate(new Date()));
  const info = new pb.DeviceInfo();
  info.setApplicationId(o.applicationId);
  info.setDevEui(o.devEui.toLowerCase());
  m.setDeviceInfo(info);
  m.setQueueItemId(o.queueItemId);
  m.setAcknowledged(o.acknowledged);
  m.setFCntDown(o.fCntDown);
  return m.serializeBinary();
}
