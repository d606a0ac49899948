/**
 * The TypeScript shape of a device profile, as schemas/device-profile.schema.json publishes it (the schema is
 * what the registry validates against; docs/profiles.md explains each section). One field per top-level
 * section: a new section is a property here and one entry under the schema's `properties` and `definitions`.
 */

export const ENERGY_CHANNELS = ['A+', 'A-', 'R+', 'R-'] as const;
export type EnergyChannel = (typeof ENERGY_CHANNELS)[number];

export interface CosemAttributeRef {
  obis: string;
  classId: number;
  attribute: number;
}

/** A Profile Generic (class 7) read by range, or registers (class 3) by their tags or OBIS codes. */
export interface ArchiveMapping extends CosemAttributeRef {
  tags?: string[];
  objects?: string[];
}

export interface StateAttribute extends CosemAttributeRef {
  code: string;
}

/** The vendor's quirks of the DLMS connection (settings of decoders/dlms/connection/settings.ts). */
export interface DlmsQuirks {
  /** The SNRM proposal; absent: an empty SNRM (128-byte information fields, window 1). */
  hdlc?: { maxInfoTx?: number; maxInfoRx?: number; windowTx?: number; windowRx?: number };
  /** Caps the client-max-receive-pdu-size the protocol proposes. */
  maxPduSize?: number;
  /** false: block transfer with GET, SET and ACTION is not proposed. */
  blockTransfer?: boolean;
  highPriority?: boolean;
  deviationSign?: 'standard' | 'inverted';
  oneByteServerAddress?: boolean;
  hlsWithoutResponseCheck?: boolean;
  ignoreInvokeIdMismatch?: boolean;
}

export interface MbusRecordRule {
  /** A quantity name of decoders/mbus/tables.ts (volume, energy, flow-temperature, error-flags, ...). */
  quantity?: string;
  /** Or the exact VIB as sent, hex (e.g. "FD17", "933C"): for VIFEs that matter (forward/backward flow). */
  vib?: string;
  /** Default instantaneous. */
  function?: 'instantaneous' | 'maximum' | 'minimum' | 'error';
  /** Default 0 (the current value); 1.. = values at the due dates the meter keeps. */
  storage?: number;
  /** Default 0 (total). */
  tariff?: number;
  /** Default 0. */
  subunit?: number;
  obis: string;
  /** Measurement archive of the reading, default `current`. */
  archive?: string;
  /** CIM 18-part ReadingType; default: the catalogue's (schemas/cim/reading-types.ts) for archive, OBIS and tariff. */
  readingType?: string;
}

export interface MbusProfileSection {
  records: MbusRecordRule[];
  /** The TPL status byte (power low, permanent/temporary error, ...) as a reading. */
  status?: { obis: string; archive?: string; readingType?: string };
}

/** LoRaWAN payloads (docs/lorawan.md): the codec per fPort and what its values mean. */
export interface LorawanProfileSection {
  /** The first entry whose `fPorts` hold the uplink's fPort (or that names none) decodes it. */
  codecs: { codec: 'obis-tlv' | 'cayenne-lpp' | 'wmbus' | 'ts013' | 'dlms'; fPorts?: number[]; script?: string }[];
  /** ts013: the values of the codec's `data` kept as readings (JSON path → OBIS, unit, scaler); others are not stored. */
  values?: { path: string; obis: string; archive?: string; unit?: string; scaler?: number; readingType?: string }[];
  /** cayenne-lpp: a channel's value as a reading (channels not listed are not stored). */
  channels?: { channel: number; type?: string; obis: string; archive?: string; unit?: string; scaler?: number; readingType?: string }[];
  /** The radio figures of each uplink kept as readings (archive default `network`), by OBIS-like code. */
  radio?: { archive?: string; rssi?: string; snr?: string; gateways?: string; spreadingFactor?: string };
  /** obis-tlv: the status word's bits that are events, by name, in a journal (default self-diagnostics). */
  statusBits?: { bit: number; name: string; journal?: string }[];
  /** Commands as downlinks (scheduler/lorawan-reader.ts): per command function, the ts013 codec's input or fixed bytes. */
  downlinks?: LorawanDownlinks;
}

export interface LorawanDownlinks {
  /** Ask the device to acknowledge (a confirmed downlink); default true, so that the command's outcome is known. */
  confirmed?: boolean;
  /** The fPort of `payload` commands. */
  fPort?: number;
  /** `data`: encoded by the profile's ts013 codec (`encodeDownlink({data})`); `payload`: these bytes (hex) as they are. */
  commands: Partial<Record<string, { data: Record<string, unknown> } | { payload: string; fPort?: number }>>;
}

export interface DeviceProfile {
  id: string;
  name: string;
  description?: string;
  deviceTypes: string[];
  protocol: 'DLMS' | 'SMP_M' | 'MBUS' | 'LORAWAN';
  protocolMaps: string[];
  clock?: string;
  activityCalendar?: string;
  specialDays?: string;
  limiter?: string;
  /** Firmware updates: the Image Transfer object (class 18) and the firmware version object (Data) that confirms an activation. */
  firmware?: { imageTransfer: string; version?: string };
  /** Cumulative energy registers per channel, `{t}` = tariff (0 = total). */
  energy?: Partial<Record<EnergyChannel, string>>;
  /** Interval energy objects per channel (SPODES x.29): a load-profile column of the interval's energy. */
  intervalEnergy?: Partial<Record<EnergyChannel, string>>;
  archives?: Record<string, ArchiveMapping>;
  relays?: Record<string, { obis: string; lockObis?: string }>;
  /** Event journals by name (scheduler/content.ts JOURNALS): the Profile Generic log and the table naming its codes. */
  journals?: Record<string, { obis: string; codes?: string }>;
  states?: Record<string, StateAttribute[]>;
  /** Serial lines: open in IEC 62056-21 mode E before HDLC. */
  modeE?: { address?: 'serial-number' | 'none' };
  dlms?: DlmsQuirks;
  mbus?: MbusProfileSection;
  lorawan?: LorawanProfileSection;
  /** Push Setup declarations (class 40) and their push object lists; read by the DLMS decoder. */
  pushes?: Record<string, unknown>[];
  /** Severity of each event by its name. */
  eventSeverities?: Record<string, 'critical' | 'major' | 'minor' | 'info'>;
}
