/**
 * Push setup (class_id 40, version 2; versions 0 and 1 read too): what the meter pushes
 * (DataNotification), where, when and how often it retries.
 *
 *   push_object_list ::= array object_definition { class_id long-unsigned, logical_name octet-string(6),
 *     attribute_index integer, data_index long-unsigned [, restriction_element (v1+) [, columns (v2)]] }
 *   send_destination_and_method ::= structure { transport_service enum, destination octet-string,
 *     message enum }
 *   communication_window ::= array window_element { start_time octet-string(12), end_time octet-string(12) }
 *   attributes: 1 logical_name, 2 push_object_list, 3 send_destination_and_method, 4 communication_window,
 *     5 randomisation_start_interval long-unsigned (s), 6 number_of_retries unsigned,
 *     7 repetition_delay long-unsigned (s, v0–1) | structure { repetition_delay_min, repetition_delay_exponent,
 *       repetition_delay_max: long-unsigned } (v2),
 *     v1+: 8 port_reference octet-string(6), 9 push_client_SAP integer, 10 push_protection_parameters array,
 *     v2: 11 push_operation_method enum, 12 confirmation_parameters structure, 13 last_confirmation_date_time
 *   methods: 1 push integer(0), 2 reset integer(0) (v2)
 *
 * restriction_element, columns, push_protection_parameters and confirmation_parameters are kept as raw
 * Data: no HES feature reads them yet.
 */
import type { CosemDateTime, DlmsData } from '../axdr/types.js';
import {
  anyData,
  array,
  arrayOf,
  attributes,
  dateTime,
  enumeration,
  i8,
  logicalName,
  methods,
  octetString,
  structureOf,
  struct,
  u16,
  u8,
  valueError,
  zero,
  type Codec,
} from './codec.js';
import { ClassId } from './classes.js';

export const TransportService = { tcp: 0, udp: 1, ftp: 2, smtp: 3, sms: 4, hdlc: 5, mBus: 6, zigBee: 7 } as const;

export const PushMessageType = { axdrApdu: 0, xmlApdu: 1 } as const;

export interface PushObject {
  classId: number;
  logicalName: string;
  /** 0 = the whole object (all attributes). */
  attributeIndex: number;
  /** 0 = the whole attribute; n = element n of an array/structure attribute. */
  dataIndex: number;
  restriction?: DlmsData;
  columns?: DlmsData;
}

const pushObject: Codec<PushObject> = {
  decode(d, what) {
    const el = structureOf(d, what, 4, 6);
    const out: PushObject = {
      classId: u16.decode(el[0]!, `${what}.class_id`),
      logicalName: logicalName.decode(el[1]!, `${what}.logical_name`),
      attributeIndex: i8.decode(el[2]!, `${what}.attribute_index`),
      dataIndex: u16.decode(el[3]!, `${what}.data_index`),
    };
    if (el[4]) out.restriction = el[4];
    if (el[5]) out.columns = el[5];
    return out;
  },
  encode(v, what) {
    if (v.columns && !v.restriction) throw valueError(what, 'columns need a restriction_element');
    const value: DlmsData[] = [
      u16.encode(v.classId, `${what}.class_id`),
      logicalName.encode(v.logicalName, `${what}.logical_name`),
      i8.encode(v.attributeIndex, `${what}.attribute_index`),
      u16.encode(v.dataIndex, `${what}.data_index`),
    ];
    if (v.restriction) value.push(v.restriction);
    if (v.columns) value.push(v.columns);
    return { type: 'structure', value };
  },
};

export interface SendDestinationAndMethod {
  transportService: number;
  /** E.g. "host:port" as ASCII for TCP/UDP, a phone number for SMS. */
  destination: Uint8Array;
  message: number;
}

export interface CommunicationWindow {
  start: CosemDateTime;
  end: CosemDateTime;
}

export interface RepetitionDelay {
  min: number;
  exponent: number;
  max: number;
}

/** Seconds (versions 0–1) or the exponential back-off structure (version 2). */
const repetitionDelay: Codec<number | RepetitionDelay> = {
  decode: (d, what) => (d.type === 'structure' ? exponentialDelay.decode(d, what) : u16.decode(d, what)),
  encode: (v, what) => (typeof v === 'number' ? u16.encode(v, what) : exponentialDelay.encode(v, what)),
};

const exponentialDelay = struct<RepetitionDelay>({
  min: ['repetition_delay_min', u16],
  exponent: ['repetition_delay_exponent', u16],
  max: ['repetition_delay_max', u16],
});

export interface PushSetup {
  logicalName: string;
  pushObjectList: PushObject[];
  sendDestinationAndMethod: SendDestinationAndMethod;
  communicationWindow: CommunicationWindow[];
  randomisationStartInterval: number;
  numberOfRetries: number;
  repetitionDelay: number | RepetitionDelay;
  portReference: string;
  pushClientSap: number;
  pushProtectionParameters: DlmsData[];
  pushOperationMethod: number;
  confirmationParameters: DlmsData;
  lastConfirmationDateTime: CosemDateTime;
}

export const pushSetupAttributes = attributes<PushSetup>(ClassId.pushSetup, {
  logicalName: [1, logicalName],
  pushObjectList: [2, array(pushObject)],
  sendDestinationAndMethod: [
    3,
    struct<SendDestinationAndMethod>({
      transportService: ['transport_service', enumeration],
      destination: ['destination', octetString],
      message: ['message', enumeration],
    }),
  ],
  communicationWindow: [4, array(struct<CommunicationWindow>({ start: ['start_time', dateTime], end: ['end_time', dateTime] }))],
  randomisationStartInterval: [5, u16],
  numberOfRetries: [6, u8],
  repetitionDelay: [7, repetitionDelay],
  portReference: [8, logicalName],
  pushClientSap: [9, i8],
  pushProtectionParameters: [10, { decode: (d, what) => arrayOf(d, what), encode: (v) => ({ type: 'array', value: v }) }],
  pushOperationMethod: [11, enumeration],
  confirmationParameters: [12, anyData],
  lastConfirmationDateTime: [13, dateTime],
});

export const pushSetupMethods = methods<{ push: 0; reset: 0 }>(ClassId.pushSetup, { push: [1, zero], reset: [2, zero] });
