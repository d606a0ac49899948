/**
 * The `pushes` section of a DLMS device profile: the meter's Push Setup objects (class 40) and what each
 * element of their push object list means, so that a DataNotification decodes without asking the meter
 * (docs/pipeline.md, "Pushes"). Self-contained: a profile either has the section or does not push.
 *
 *   "pushes": [{
 *     "obis": "0.2.25.9.0.255", "trigger": "interval", "service": "tcp", "randomisationS": 60,
 *     "window": [{ "start": "00:00", "end": "23:59" }],
 *     "objects": [
 *       { "classId": 40, "obis": "0.2.25.9.0.255", "attribute": 1 },               the setup's own name (IDIS: first)
 *       { "classId": 8,  "obis": "0.0.1.0.0.255",  "attribute": 2 },               a clock: the push's time
 *       { "classId": 7,  "obis": "1.0.99.1.0.255", "attribute": 2, "dataIndex": 1,  a profile buffer's newest rows
 *         "archive": "profile-15", "captureObjects": [{ "classId": 8, ... }, { "classId": 3, "obis": "1.0.1.8.0.255",
 *         "attribute": 2, "scaler": 0, "unit": "Wh" }] },
 *       { "classId": 3,  "obis": "1.0.1.8.0.255",  "attribute": 2, "archive": "current", "scaler": 0, "unit": "Wh" }
 *     ] }]
 *
 * An element without `archive`, `journal` or `alarmBits` (the setup's name, the logical device name) is
 * parsed and not stored. Scalers and units are the profile's: a push is never followed by a read.
 */
import type { CaptureObject } from '../protocol-decoder.js';
import { DlmsError } from './errors.js';
import { parseObis } from './obis.js';

/** What makes the meter push (documentation for operators and for push setup commands; the decoder does not need it). */
export type PushTrigger = 'connect' | 'daily' | 'interval' | 'alarm' | 'power-down' | 'on-change';

/** send_destination_and_method transport service (Blue Book class 40, attribute 3). */
export type PushService = 'tcp' | 'udp' | 'hdlc' | 'sms';

export interface PushCaptureObjectDeclaration {
  classId: number;
  obis: string;
  attribute: number;
  dataIndex?: number;
  scaler?: number;
  unit?: string;
  /** 18-part CIM ReadingType code. */
  readingType?: string;
  /** 0 = total, 1..4 = T1..T4. */
  tariff?: number;
  /** false: parsed, not stored. */
  store?: boolean;
}

export interface PushObjectDeclaration {
  classId: number;
  obis: string;
  attribute: number;
  /** Profile buffers: how many newest entries are pushed (0 = the whole buffer). */
  dataIndex?: number;
  /** The measurement archive the element's values go to. */
  archive?: string;
  /** A Profile Generic buffer (class 7, attribute 2): its columns. */
  captureObjects?: PushCaptureObjectDeclaration[];
  /** A register value (classes 1, 3, 4, 5): its scaler, unit, reading type and tariff. */
  scaler?: number;
  unit?: string;
  readingType?: string;
  tariff?: number;
  /** The buffer is an event journal: its rows are events of this journal, named by `eventCodes`. */
  journal?: string;
  eventCodes?: string;
  /** An alarm register (bit field): each set bit is an event named by this table (decoders/dlms/cosem/event-codes.ts). */
  alarmBits?: string;
}

export interface PushSetupDeclaration {
  /** The Push Setup's logical name. */
  obis: string;
  trigger: PushTrigger;
  service: PushService;
  /** Where the meter pushes ("host:port", a phone number), when the profile fixes it. */
  destination?: string;
  /** communication_window: local times (HH:MM) the meter may push in; empty or absent = any time. */
  window?: { start: string; end: string }[];
  /** randomisation_start_interval, s. */
  randomisationS?: number;
  /** The push object list, in order: one element of the notification body per object. */
  objects: PushObjectDeclaration[];
}

/** The profile body's `pushes`, checked: a malformed section fails every push of the profile with its reason. */
export function pushSetupsOf(body: Record<string, unknown>, profileId: string): PushSetupDeclaration[] {
  const pushes = body.pushes;
  if (pushes === undefined) return [];
  const bad = (what: string): never => {
    throw new DlmsError('DLMS_ERR_VALUE', `device profile ${profileId}: pushes ${what}`);
  };
  if (!Array.isArray(pushes)) bad('is not a list');
  return (pushes as PushSetupDeclaration[]).map((s, i) => {
    if (typeof s !== 'object' || s === null || typeof s.obis !== 'string' || !Array.isArray(s.objects)) bad(`[${i}]: obis and objects are required`);
    obisOk(s.obis, `[${i}].obis`, bad);
    s.objects.forEach((o, k) => {
      const at = `[${i}].objects[${k}]`;
      if (typeof o !== 'object' || o === null || !Number.isInteger(o.classId) || !Number.isInteger(o.attribute)) bad(`${at}: classId and attribute are required`);
      obisOk(o.obis, `${at}.obis`, bad);
      if (o.captureObjects && !(o.classId === 7 && o.attribute === 2)) bad(`${at}: captureObjects belong to a profile buffer (class 7, attribute 2)`);
      if ((o.archive || o.journal) && o.classId === 7 && !o.captureObjects?.length) bad(`${at}: a profile buffer needs its captureObjects`);
      for (const [c, co] of (o.captureObjects ?? []).entries()) obisOk(co.obis, `${at}.captureObjects[${c}].obis`, bad);
    });
    return s;
  });
}

function obisOk(obis: unknown, at: string, bad: (what: string) => never): void {
  try {
    if (typeof obis !== 'string') throw new Error();
    parseObis(obis);
  } catch {
    bad(`${at}: ${JSON.stringify(obis)} is not an OBIS code`);
  }
}

/** A declared capture object in the decoding context's form (the one the polled path compiles). */
export function captureObjectOf(o: PushCaptureObjectDeclaration): CaptureObject {
  return {
    classId: o.classId, obis: o.obis, attribute: o.attribute, dataIndex: o.dataIndex ?? 0, scaler: o.scaler ?? 0, unit: o.unit ?? '',
    readingType: o.readingType ?? null, tariff: o.tariff ?? 0, store: o.store ?? true,
  };
}
