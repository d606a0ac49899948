/**
 * Association LN (class_id 15, version 3): one per client association; its object_list says which
 * objects the client sees and with which access rights.
 *
 *   object_list_element ::= structure { class_id long-unsigned, version unsigned,
 *     logical_name octet-string(6), access_rights }
 *   access_rights ::= structure { attribute_access array attribute_access_item,
 *                                 method_access array method_access_item }
 *   attribute_access_item ::= structure { attribute_id integer, access_mode enum,
 *                                         access_selectors CHOICE { null-data, array integer } }
 *   method_access_item ::= structure { method_id integer, access_mode enum }   (boolean in version 0)
 *   associated_partners_id ::= structure { client_SAP integer, server_SAP long-unsigned }
 *   application_context_name, authentication_mechanism_name ::= CHOICE { octet-string (BER OID content
 *     octets, e.g. 60 85 74 05 08 01 01), structure of 7 arcs { unsigned, unsigned, long-unsigned,
 *     unsigned, unsigned, unsigned, unsigned } (older meters) }
 *   xDLMS_context_type ::= structure { conformance bit-string(24), max_receive_pdu_size long-unsigned,
 *     max_send_pdu_size long-unsigned, dlms_version_number unsigned, quality_of_service integer,
 *     cyphering_info octet-string }
 *   attributes: 1 logical_name, 2 object_list, 3 associated_partners_id, 4 application_context_name,
 *     5 xDLMS_context_info, 6 authentication_mechanism_name, 7 secret octet-string,
 *     8 association_status enum { non_associated 0, association_pending 1, associated 2 },
 *     9 security_setup_reference octet-string(6), 10 user_list array { user_id unsigned, user_name visible-string },
 *     11 current_user structure { user_id, user_name }
 *   methods: 1 reply_to_HLS_authentication octet-string, 2 change_HLS_secret octet-string,
 *     3 add_object object_list_element, 4 remove_object object_list_element, 5 add_user, 6 remove_user
 *
 * access_mode: versions 0–2 enumerate modes (below); version 3 makes it a bit map (AccessBits).
 */
import { Reader } from '../axdr/reader.js';
import type { BitString } from '../axdr/types.js';
import { Writer } from '../axdr/writer.js';
import { checkOidArcs, readOidArcs, writeOidContent } from '../apdu/acse/ber.js';
import { dlmsNameId } from '../apdu/acse/names.js';
import {
  array,
  attributes,
  bitString,
  boolean,
  enumeration,
  i8,
  int,
  logicalName,
  methods,
  nullable,
  octetString,
  rethrow,
  structureOf,
  struct,
  u16,
  u8,
  valueError,
  visibleString,
  type Codec,
} from './codec.js';
import { ClassId } from './classes.js';
import { SecurityPolicyBits } from './security-setup.js';

/** access_mode of attributes in Association LN versions 0–2 (0–3 only in version 0). */
export const AttributeAccessMode = {
  noAccess: 0,
  readOnly: 1,
  writeOnly: 2,
  readAndWrite: 3,
  authenticatedReadOnly: 4,
  authenticatedWriteOnly: 5,
  authenticatedReadAndWrite: 6,
} as const;

/** access_mode of methods in versions 1–2 (version 0: boolean). */
export const MethodAccessMode = { noAccess: 0, access: 1, authenticatedAccess: 2 } as const;

/**
 * Version 3 access_mode bits; for methods bit 0 means access and bit 1 is unused. Bits 2–7 are those of
 * the Security setup security_policy.
 */
export const AccessBits = { read: 0x01, write: 0x02, ...SecurityPolicyBits } as const;

/** Whether an attribute access_mode allows reading, for an Association LN of `version`. */
export function canRead(mode: number, version: number): boolean {
  return version >= 3 ? (mode & AccessBits.read) !== 0 : mode === 1 || mode === 3 || mode === 4 || mode === 6;
}

/** Whether an attribute access_mode allows writing, for an Association LN of `version`. */
export function canWrite(mode: number, version: number): boolean {
  return version >= 3 ? (mode & AccessBits.write) !== 0 : mode === 2 || mode === 3 || mode === 5 || mode === 6;
}

/** Whether a method access_mode (boolean in version 0) allows invoking it. */
export function canExecute(mode: number | boolean, version: number): boolean {
  if (typeof mode === 'boolean') return mode;
  return version >= 3 ? (mode & 0x01) !== 0 : mode === 1 || mode === 2;
}

export interface AttributeAccess {
  id: number;
  mode: number;
  /** Selective access selectors allowed for the attribute, or null (none). */
  selectors: number[] | null;
}

export interface MethodAccess {
  id: number;
  /** enum (versions 1–3) or boolean (version 0); kept as received so it re-encodes identically. */
  mode: number | boolean;
}

export interface AccessRights {
  attributes: AttributeAccess[];
  methods: MethodAccess[];
}

export interface ObjectListEntry {
  classId: number;
  version: number;
  logicalName: string;
  accessRights: AccessRights;
}

const methodAccessMode: Codec<number | boolean> = {
  decode: (d, what) => (d.type === 'boolean' ? d.value : enumeration.decode(d, what)),
  encode: (v, what) => (typeof v === 'boolean' ? boolean.encode(v, what) : enumeration.encode(v, what)),
};

export const objectListElement = struct<ObjectListEntry>({
  classId: ['class_id', u16],
  version: ['version', u8],
  logicalName: ['logical_name', logicalName],
  accessRights: [
    'access_rights',
    struct<AccessRights>({
      attributes: [
        'attribute_access',
        array(struct<AttributeAccess>({ id: ['attribute_id', i8], mode: ['access_mode', enumeration], selectors: ['access_selectors', nullable(array(i8))] })),
      ],
      methods: ['method_access', array(struct<MethodAccess>({ id: ['method_id', i8], mode: ['access_mode', methodAccessMode] }))],
    }),
  ],
});

/** An OBJECT IDENTIFIER as its arcs, remembering which of the two attribute encodings carried it. */
export interface ObjectName {
  arcs: number[];
  encoding: 'octet-string' | 'structure';
}

const ARC_TYPES = ['unsigned', 'unsigned', 'long-unsigned', 'unsigned', 'unsigned', 'unsigned', 'unsigned'] as const;

export const objectName: Codec<ObjectName> = {
  decode(d, what) {
    if (d.type === 'octet-string') return { arcs: rethrow(what, () => readOidArcs(new Reader(d.value), 'object identifier')), encoding: 'octet-string' };
    const el = structureOf(d, what, 7);
    return { arcs: el.map((e, i) => int(ARC_TYPES[i]!).decode(e, `${what}[${i}]`)), encoding: 'structure' };
  },
  encode(v, what) {
    if (v.encoding === 'octet-string') return { type: 'octet-string', value: rethrow(what, () => encodeOid(v.arcs)) };
    if (v.arcs.length !== 7) throw valueError(what, `structure form needs 7 arcs, got ${v.arcs.length}`);
    return { type: 'structure', value: v.arcs.map((a, i) => int(ARC_TYPES[i]!).encode(a, `${what}[${i}]`)) };
  },
};

function encodeOid(arcs: readonly number[]): Uint8Array {
  checkOidArcs(arcs, 'object identifier');
  const w = new Writer(16);
  writeOidContent(w, arcs);
  return w.toBytes();
}

/** application context id (1 LN, 2 SN, 3 LN with ciphering, 4 SN with ciphering; names in apdu/acse/names.ts) or undefined. */
export function applicationContextId(name: ObjectName): number | undefined {
  return dlmsNameId(name.arcs, 'application-context');
}

/** authentication mechanism id (0 none, 1 LLS, 2..7 HLS; 5 = GMAC; names in apdu/acse/names.ts) or undefined. */
export function mechanismId(name: ObjectName): number | undefined {
  return dlmsNameId(name.arcs, 'mechanism');
}

export interface AssociatedPartners {
  clientSap: number;
  serverSap: number;
}

export interface XdlmsContextInfo {
  conformance: BitString;
  maxReceivePduSize: number;
  maxSendPduSize: number;
  dlmsVersionNumber: number;
  qualityOfService: number;
  cypheringInfo: Uint8Array;
}

export const AssociationStatus = { nonAssociated: 0, associationPending: 1, associated: 2 } as const;
export type AssociationStatus = (typeof AssociationStatus)[keyof typeof AssociationStatus];

export interface User {
  id: number;
  name: string;
}

export interface AssociationLn {
  logicalName: string;
  objectList: ObjectListEntry[];
  associatedPartnersId: AssociatedPartners;
  applicationContextName: ObjectName;
  xdlmsContextInfo: XdlmsContextInfo;
  authenticationMechanismName: ObjectName;
  secret: Uint8Array;
  associationStatus: AssociationStatus;
  securitySetupReference: string;
  userList: User[];
  currentUser: User;
}

const user = struct<User>({ id: ['user_id', u8], name: ['user_name', visibleString] });

export const associationLnAttributes = attributes<AssociationLn>(ClassId.associationLn, {
  logicalName: [1, logicalName],
  objectList: [2, array(objectListElement)],
  associatedPartnersId: [3, struct<AssociatedPartners>({ clientSap: ['client_SAP', i8], serverSap: ['server_SAP', u16] })],
  applicationContextName: [4, objectName],
  xdlmsContextInfo: [
    5,
    struct<XdlmsContextInfo>({
      conformance: ['conformance', bitString],
      maxReceivePduSize: ['max_receive_pdu_size', u16],
      maxSendPduSize: ['max_send_pdu_size', u16],
      dlmsVersionNumber: ['dlms_version_number', u8],
      qualityOfService: ['quality_of_service', i8],
      cypheringInfo: ['cyphering_info', octetString],
    }),
  ],
  authenticationMechanismName: [6, objectName],
  secret: [7, octetString],
  associationStatus: [8, int<AssociationStatus>('enum', 2)],
  securitySetupReference: [9, logicalName],
  userList: [10, array(user)],
  currentUser: [11, user],
});

export interface AssociationLnMethods {
  replyToHlsAuthentication: Uint8Array;
  changeHlsSecret: Uint8Array;
  addObject: ObjectListEntry;
  removeObject: ObjectListEntry;
  addUser: User;
  removeUser: User;
}

export const associationLnMethods = methods<AssociationLnMethods>(ClassId.associationLn, {
  replyToHlsAuthentication: [1, octetString],
  changeHlsSecret: [2, octetString],
  addObject: [3, objectListElement],
  removeObject: [4, objectListElement],
  addUser: [5, user],
  removeUser: [6, user],
});
