/*
 * Selective access parameters of Profile Generic (class 7) buffer reads (IEC 62056-6-2 §4.3.6),
 * carried as the access-parameters Data of a Selective-Access-Descriptor:
 *
 * access selector 1, range_descriptor ::= structure {
 *   restricting_object  capture_object_definition,   -- usually the clock, 8 / 0.0.1.0.0.255 / 2
 *   from_value          CHOICE of Data,              -- usually a date-time octet-string(12)
 *   to_value            CHOICE of Data,
 *   selected_values     array capture_object_definition   -- empty array = all columns
 * }
 * access selector 2, entry_descriptor ::= structure {
 *   from_entry           double-long-unsigned,   -- first row, from 1
 *   to_entry             double-long-unsigned,   -- 0 = up to the newest
 *   from_selected_value  long-unsigned,          -- first column, from 1
 *   to_selected_value    long-unsigned           -- 0 = up to the last column
 * }
 *
 * The capture_object_definition codec and the Data builders live with the class
 * (cosem/profile-generic.ts); this module turns them into Selective-Access-Descriptors and parses
 * descriptors received (simulated meter, traces).
 */
import type { DlmsData } from '../../../axdr/types.js';
import {
  AccessSelector,
  type CaptureObject,
  decodeCaptureObjects,
  entryDescriptor,
  rangeDescriptor,
} from '../../../cosem/profile-generic.js';
import { DlmsError } from '../../../errors.js';
import type { SelectiveAccess } from '../common.js';

export interface RangeDescriptor {
  restrictingObject: CaptureObject;
  fromValue: DlmsData;
  toValue: DlmsData;
  /** Empty = all capture objects. */
  selectedValues: CaptureObject[];
}

export interface EntryDescriptor {
  fromEntry: number;
  toEntry: number;
  fromSelectedValue: number;
  toSelectedValue: number;
}

function structureOf(d: DlmsData, n: number, what: string): DlmsData[] {
  if (d.type !== 'structure' || d.value.length !== n) {
    const got = d.type === 'structure' ? `a structure of ${d.value.length}` : d.type;
    throw new DlmsError('DLMS_ERR_VALUE', `${what}: expected a structure of ${n}, got ${got}`);
  }
  return d.value;
}

function numberOf(d: DlmsData, type: 'long-unsigned' | 'double-long-unsigned', what: string): number {
  if (d.type !== type) throw new DlmsError('DLMS_ERR_VALUE', `${what}: expected ${type}, got ${d.type}`);
  return (d as { value: number }).value;
}

export function rangeDescriptorFromData(d: DlmsData): RangeDescriptor {
  const [restricting, fromValue, toValue, selected] = structureOf(d, 4, 'range_descriptor');
  return {
    restrictingObject: decodeCaptureObjects({ type: 'array', value: [restricting!] })[0]!,
    fromValue: fromValue!,
    toValue: toValue!,
    selectedValues: decodeCaptureObjects(selected!),
  };
}

export function entryDescriptorFromData(d: DlmsData): EntryDescriptor {
  const [fromEntry, toEntry, fromSel, toSel] = structureOf(d, 4, 'entry_descriptor');
  return {
    fromEntry: numberOf(fromEntry!, 'double-long-unsigned', 'from_entry'),
    toEntry: numberOf(toEntry!, 'double-long-unsigned', 'to_entry'),
    fromSelectedValue: numberOf(fromSel!, 'long-unsigned', 'from_selected_value'),
    toSelectedValue: numberOf(toSel!, 'long-unsigned', 'to_selected_value'),
  };
}

/** The Selective-Access-Descriptor of a read by range (selector 1). */
export function rangeAccess(d: RangeDescriptor): SelectiveAccess {
  return {
    selector: AccessSelector.range,
    parameters: rangeDescriptor(d.restrictingObject, d.fromValue, d.toValue, d.selectedValues),
  };
}

/** The Selective-Access-Descriptor of a read by entry (selector 2). */
export function entryAccess(d: EntryDescriptor): SelectiveAccess {
  return {
    selector: AccessSelector.entry,
    parameters: entryDescriptor(d.fromEntry, d.toEntry, d.fromSelectedValue, d.toSelectedValue),
  };
}

export type ParsedAccess =
  | { selector: 1; range: RangeDescriptor }
  | { selector: 2; entry: EntryDescriptor }
  | { selector: number; parameters: DlmsData };

/** Interprets a Profile Generic Selective-Access-Descriptor; other selectors are returned as they are. */
export function parseProfileAccess(a: SelectiveAccess): ParsedAccess {
  if (a.selector === AccessSelector.range) return { selector: 1, range: rangeDescriptorFromData(a.parameters) };
  if (a.selector === AccessSelector.entry) return { selector: 2, entry: entryDescriptorFromData(a.parameters) };
  return { selector: a.selector, parameters: a.parameters };
}
