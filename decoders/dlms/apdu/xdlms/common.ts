/*
 * Pieces shared by the GET, SET, ACTION and notification grammars (IEC 62056-5-3 §8):
 *
 * Cosem-Attribute-Descriptor ::= SEQUENCE {
 *   class-id      Cosem-Class-Id,              -- Unsigned16
 *   instance-id   Cosem-Object-Instance-Id,    -- OCTET STRING (SIZE(6)), the OBIS code
 *   attribute-id  Cosem-Object-Attribute-Id    -- Integer8 (negative = manufacturer-specific)
 * }
 * Cosem-Method-Descriptor ::= SEQUENCE { class-id, instance-id, method-id Cosem-Object-Method-Id }
 * Selective-Access-Descriptor ::= SEQUENCE { access-selector Unsigned8, access-parameters Data }
 * Cosem-Attribute-Descriptor-With-Selection ::= SEQUENCE {
 *   cosem-attribute-descriptor  Cosem-Attribute-Descriptor,
 *   access-selection            Selective-Access-Descriptor OPTIONAL
 * }
 * Get-Data-Result ::= CHOICE { data [0] Data, data-access-result [1] IMPLICIT Data-Access-Result }
 * DataBlock-SA ::= SEQUENCE { last-block BOOLEAN, block-number Unsigned32, raw-data OCTET STRING }
 *
 * A-XDR rules used throughout: OPTIONAL is one presence byte (0 absent, 1 present); SEQUENCE OF is
 * a length-prefixed count; a fixed-size OCTET STRING has no length prefix, a variable one has one;
 * a CHOICE is one byte holding the context tag.
 */
import { decodeData, encodeData } from '../../axdr/data.js';
import type { Reader } from '../../axdr/reader.js';
import type { DlmsData } from '../../axdr/types.js';
import type { Writer } from '../../axdr/writer.js';
import { DlmsError } from '../../errors.js';
import { hex2 } from '../../security/tags.js';

export interface CosemAttributeDescriptor {
  classId: number;
  /** The logical name (OBIS code), 6 bytes. */
  instanceId: Uint8Array;
  attributeId: number;
}

export interface CosemMethodDescriptor {
  classId: number;
  instanceId: Uint8Array;
  methodId: number;
}

export interface SelectiveAccess {
  /** 1 = range_descriptor, 2 = entry_descriptor for Profile Generic; class-specific otherwise. */
  selector: number;
  parameters: DlmsData;
}

export interface AttributeWithSelection {
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccess;
}

export type GetDataResult = { type: 'data'; value: DlmsData } | { type: 'data-access-result'; value: number };

export interface DataBlockSA {
  lastBlock: boolean;
  blockNumber: number;
  /** A fragment of the encoded APDU content; a view into the input when decoded. */
  rawData: Uint8Array;
}

/** Reads the APDU tag byte and checks it. */
export function expectTag(r: Reader, tag: number, what: string): void {
  const at = r.pos;
  const t = r.u8(`${what} tag`);
  if (t !== tag) {
    throw new DlmsError('DLMS_ERR_TAG', `expected ${what} tag ${hex2(tag)}, got ${hex2(t)}`, at);
  }
}

export function unknownChoice(what: string, choice: number, at: number): DlmsError {
  return new DlmsError('DLMS_ERR_TAG', `unknown ${what} choice ${choice}`, at);
}

/**
 * The standard's name of a code from a named-code table (`objectUndefined` → "object-undefined");
 * a code the table lacks (vendor-specific, newer edition) reads "unknown-<n>".
 */
export function codeNames(table: Readonly<Record<string, number>>): (code: number) => string {
  const names = new Map(Object.entries(table).map(([name, code]) => [code, name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())]));
  return (code) => names.get(code) ?? `unknown-${code}`;
}

/** An A-XDR OPTIONAL presence byte: 0 or 1, anything else is garbage. */
export function readPresence(r: Reader, what: string): boolean {
  const at = r.pos;
  const f = r.u8(`${what} presence flag`);
  if (f > 1) throw new DlmsError('DLMS_ERR_VALUE', `${what} presence flag must be 0 or 1, got ${f}`, at);
  return f === 1;
}

/** A-XDR BOOLEAN: zero is false, anything else true. */
export function readBoolean(r: Reader, what: string): boolean {
  return r.u8(what) !== 0;
}

/** Checks a number fits an unsigned field before writing it, so that encoding never wraps silently. */
export function checkUnsigned(v: number, max: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new DlmsError('DLMS_ERR_ENCODE', `${what} ${v} is not in 0..${max}`);
  return v;
}

function checkInteger8(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -128 || v > 127) throw new DlmsError('DLMS_ERR_ENCODE', `${what} ${v} is not in -128..127`);
  return v;
}

function writeInstanceId(w: Writer, id: Uint8Array): void {
  if (id.length !== 6) throw new DlmsError('DLMS_ERR_ENCODE', `instance-id must be 6 bytes, got ${id.length}`);
  w.bytes(id);
}

export function decodeAttributeDescriptor(r: Reader): CosemAttributeDescriptor {
  const classId = r.u16('class-id');
  const instanceId = r.bytes(6, 'instance-id');
  const attributeId = r.i8('attribute-id');
  return { classId, instanceId, attributeId };
}

export function encodeAttributeDescriptor(w: Writer, d: CosemAttributeDescriptor): void {
  w.u16(checkUnsigned(d.classId, 0xffff, 'class-id'));
  writeInstanceId(w, d.instanceId);
  w.u8(checkInteger8(d.attributeId, 'attribute-id'));
}

export function decodeMethodDescriptor(r: Reader): CosemMethodDescriptor {
  const classId = r.u16('class-id');
  const instanceId = r.bytes(6, 'instance-id');
  const methodId = r.i8('method-id');
  return { classId, instanceId, methodId };
}

export function encodeMethodDescriptor(w: Writer, d: CosemMethodDescriptor): void {
  w.u16(checkUnsigned(d.classId, 0xffff, 'class-id'));
  writeInstanceId(w, d.instanceId);
  w.u8(checkInteger8(d.methodId, 'method-id'));
}

/** access-selection Selective-Access-Descriptor OPTIONAL */
export function decodeOptionalAccess(r: Reader): SelectiveAccess | undefined {
  if (!readPresence(r, 'access-selection')) return undefined;
  const selector = r.u8('access-selector');
  return { selector, parameters: decodeData(r) };
}

export function encodeOptionalAccess(w: Writer, a: SelectiveAccess | undefined): void {
  if (!a) {
    w.u8(0);
    return;
  }
  w.u8(1).u8(checkUnsigned(a.selector, 0xff, 'access-selector'));
  encodeData(w, a.parameters);
}

export function decodeAttributeWithSelection(r: Reader): AttributeWithSelection {
  const attribute = decodeAttributeDescriptor(r);
  const access = decodeOptionalAccess(r);
  return access ? { attribute, access } : { attribute };
}

export function encodeAttributeWithSelection(w: Writer, a: AttributeWithSelection): void {
  encodeAttributeDescriptor(w, a.attribute);
  encodeOptionalAccess(w, a.access);
}

export function decodeGetDataResult(r: Reader): GetDataResult {
  const at = r.pos;
  const choice = r.u8('Get-Data-Result choice');
  if (choice === 0) return { type: 'data', value: decodeData(r) };
  if (choice === 1) return { type: 'data-access-result', value: r.u8('data-access-result') };
  throw unknownChoice('Get-Data-Result', choice, at);
}

export function encodeGetDataResult(w: Writer, v: GetDataResult): void {
  if (v.type === 'data') {
    w.u8(0);
    encodeData(w, v.value);
  } else {
    w.u8(1).u8(checkUnsigned(v.value, 0xff, 'data-access-result'));
  }
}

export function decodeDataBlockSA(r: Reader): DataBlockSA {
  const lastBlock = readBoolean(r, 'last-block');
  const blockNumber = r.u32('block-number');
  const rawData = r.bytes(r.length('raw-data length'), 'raw-data');
  return { lastBlock, blockNumber, rawData };
}

export function encodeDataBlockSA(w: Writer, b: DataBlockSA): void {
  w.u8(b.lastBlock ? 1 : 0).u32(checkUnsigned(b.blockNumber, 0xffffffff, 'block-number'));
  w.length(b.rawData.length).bytes(b.rawData);
}

/** SEQUENCE OF: a count, then the items. The count is bounded by the bytes left (items are ≥ 1 byte). */
export function decodeList<T>(r: Reader, what: string, item: (r: Reader) => T): T[] {
  const n = r.length(`${what} count`);
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = item(r);
  return out;
}

export function encodeList<T>(w: Writer, items: readonly T[], item: (w: Writer, v: T) => void): void {
  w.length(items.length);
  for (const v of items) item(w, v);
}
