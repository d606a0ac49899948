/**
 * Typed views of COSEM attribute values and method parameters. A `Codec<T>` converts one DlmsData
 * shape to a TS value and back; class files combine the primitives below into the Blue Book
 * structures and bind them to attribute / method ids with `members()`, which takes the names from
 * the class table so that every error says which attribute was wrong ("Clock.time: expected ...").
 *
 * Wrong shapes (type, element count, octet-string length, out-of-range number or enum) throw
 * DlmsError 'DLMS_ERR_VALUE' in both directions; nothing is coerced silently.
 */
import { DlmsError, isDlmsError } from '../errors.js';
import type { BitString, CosemDate, CosemDateTime, CosemTime, DlmsData } from '../axdr/types.js';
import { decodeDate, decodeDateTime, decodeTime, encodeDate, encodeDateTime, encodeTime } from '../axdr/datetime.js';
import { formatObis, parseObis } from '../obis.js';
import { attributeSpec, classSpec, methodSpec } from './classes.js';

export interface Codec<T> {
  decode(d: DlmsData, what: string): T;
  encode(v: T, what: string): DlmsData;
}

function describe(d: DlmsData): string {
  switch (d.type) {
    case 'array':
    case 'structure':
    case 'compact-array':
      return `${d.type} of ${d.value.length}`;
    case 'octet-string':
      return `octet-string(${d.value.length})`;
    default:
      return d.type;
  }
}

export function valueError(what: string, message: string): DlmsError {
  return new DlmsError('DLMS_ERR_VALUE', `${what}: ${message}`);
}

function mismatch(what: string, expected: string, got: DlmsData): DlmsError {
  return valueError(what, `expected ${expected}, got ${describe(got)}`);
}

/** Elements of a structure with exactly `count` elements (or `count..max`). */
export function structureOf(d: DlmsData, what: string, count: number, max = count): DlmsData[] {
  if (d.type !== 'structure' || d.value.length < count || d.value.length > max) {
    throw mismatch(what, `structure of ${count === max ? count : `${count}..${max}`}`, d);
  }
  return d.value;
}

export function arrayOf(d: DlmsData, what: string): DlmsData[] {
  if (d.type !== 'array') throw mismatch(what, 'array', d);
  return d.value;
}

type IntType = 'integer' | 'long' | 'double-long' | 'unsigned' | 'long-unsigned' | 'double-long-unsigned' | 'enum';

const RANGE: Record<IntType, readonly [number, number]> = {
  integer: [-0x80, 0x7f],
  long: [-0x8000, 0x7fff],
  'double-long': [-0x80000000, 0x7fffffff],
  unsigned: [0, 0xff],
  'long-unsigned': [0, 0xffff],
  'double-long-unsigned': [0, 0xffffffff],
  enum: [0, 0xff],
};

/**
 * An integer of one A-XDR type, optionally limited to `max` (enums with a closed value set, typed as
 * the union T of their values).
 */
export function int<T extends number = number>(type: IntType, max?: number): Codec<T> {
  const [lo, hi] = RANGE[type];
  const top = max ?? hi;
  const check = (v: number, what: string): T => {
    if (!Number.isInteger(v) || v < lo || v > top) throw valueError(what, `${v} is outside ${type} ${lo}..${top}`);
    return v as T;
  };
  return {
    decode(d, what) {
      if (d.type !== type) throw mismatch(what, type, d);
      return check(d.value as number, what);
    },
    encode(v, what) {
      return { type, value: check(v, what) } as DlmsData;
    },
  };
}

export const u8 = int('unsigned');
export const u16 = int('long-unsigned');
export const u32 = int('double-long-unsigned');
export const i8 = int('integer');
export const i16 = int('long');
export const i32 = int('double-long');
export const enumeration = int('enum');

/** An integer(0) method parameter ("data ::= integer(0)"): the Blue Book fixes its value. */
export const zero: Codec<0> = {
  decode(d, what) {
    if (d.type !== 'integer' || d.value !== 0) throw mismatch(what, 'integer(0)', d);
    return 0;
  },
  encode(_v, _what) {
    return { type: 'integer', value: 0 };
  },
};

export const boolean: Codec<boolean> = {
  decode(d, what) {
    if (d.type !== 'boolean') throw mismatch(what, 'boolean', d);
    return d.value;
  },
  encode(v, what) {
    if (typeof v !== 'boolean') throw valueError(what, `${String(v)} is not a boolean`);
    return { type: 'boolean', value: v };
  },
};

/** An octet-string, of exactly `length` bytes when given. Decoding returns a view, not a copy. */
export function octets(length?: number): Codec<Uint8Array> {
  const expected = length === undefined ? 'octet-string' : `octet-string(${length})`;
  return {
    decode(d, what) {
      if (d.type !== 'octet-string' || (length !== undefined && d.value.length !== length)) throw mismatch(what, expected, d);
      return d.value;
    },
    encode(v, what) {
      if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) throw valueError(what, `expected ${length ?? 'some'} bytes`);
      return { type: 'octet-string', value: v };
    },
  };
}

export const octetString = octets();

export const visibleString: Codec<string> = {
  decode(d, what) {
    if (d.type !== 'visible-string') throw mismatch(what, 'visible-string', d);
    return d.value;
  },
  encode(v, what) {
    if (typeof v !== 'string') throw valueError(what, 'expected a string');
    return { type: 'visible-string', value: v };
  },
};

export const bitString: Codec<BitString> = {
  decode(d, what) {
    if (d.type !== 'bit-string') throw mismatch(what, 'bit-string', d);
    return d.value;
  },
  encode(v, what) {
    if (!Number.isInteger(v.length) || v.length < 0 || v.bytes.length !== Math.ceil(v.length / 8)) {
      throw valueError(what, `bit-string of ${v.length} bits needs ${Math.ceil(v.length / 8)} bytes, has ${v.bytes.length}`);
    }
    return { type: 'bit-string', value: v };
  },
};

/** Any Data value (a CHOICE attribute such as Register.value), passed through as is. */
export const anyData: Codec<DlmsData> = {
  decode: (d) => d,
  encode: (v) => v,
};

/** A logical name: octet-string(6) shown as a dotted OBIS code ("0.0.1.0.0.255"). */
export const logicalName: Codec<string> = {
  decode(d, what) {
    if (d.type !== 'octet-string' || d.value.length !== 6) throw mismatch(what, 'octet-string(6) (logical name)', d);
    return formatObis(d.value);
  },
  encode(v, what) {
    return { type: 'octet-string', value: rethrow(what, () => parseObis(v)) };
  },
};

/**
 * date-time as the Blue Book carries it in attributes: octet-string(12). The tagged date-time type
 * (25) is accepted too; encoding always gives the octet-string form.
 */
export const dateTime: Codec<CosemDateTime> = {
  decode(d, what) {
    if (d.type === 'date-time') return d.value;
    if (d.type !== 'octet-string' || d.value.length !== 12) throw mismatch(what, 'octet-string(12) (date-time)', d);
    return decodeDateTime(d.value);
  },
  encode(v, what) {
    return { type: 'octet-string', value: rethrow(what, () => encodeDateTime(v)) };
  },
};

/** date as octet-string(5) (or the tagged date type). */
export const date: Codec<CosemDate> = {
  decode(d, what) {
    if (d.type === 'date') return d.value;
    if (d.type !== 'octet-string' || d.value.length !== 5) throw mismatch(what, 'octet-string(5) (date)', d);
    return decodeDate(d.value);
  },
  encode(v, what) {
    return { type: 'octet-string', value: rethrow(what, () => encodeDate(v)) };
  },
};

/** time as octet-string(4) (or the tagged time type). */
export const time: Codec<CosemTime> = {
  decode(d, what) {
    if (d.type === 'time') return d.value;
    if (d.type !== 'octet-string' || d.value.length !== 4) throw mismatch(what, 'octet-string(4) (time)', d);
    return decodeTime(d.value);
  },
  encode(v, what) {
    return { type: 'octet-string', value: rethrow(what, () => encodeTime(v)) };
  },
};

/** Re-raise a shared helper's error as DLMS_ERR_VALUE naming the attribute. */
export function rethrow<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isDlmsError(e)) throw valueError(what, e.message);
    throw e;
  }
}

export type Fields<T> = { [K in keyof T]-?: readonly [name: string, codec: Codec<T[K]>] };

/** A structure whose elements map, in order, to the fields of T. */
export function struct<T>(fields: Fields<T>): Codec<T> {
  const entries = Object.entries(fields) as [keyof T & string, readonly [string, Codec<unknown>]][];
  return {
    decode(d, what) {
      const el = structureOf(d, what, entries.length);
      const out = {} as Record<string, unknown>;
      for (let i = 0; i < entries.length; i++) {
        const [key, [name, codec]] = entries[i]!;
        out[key] = codec.decode(el[i]!, `${what}.${name}`);
      }
      return out as T;
    },
    encode(v, what) {
      if (typeof v !== 'object' || v === null) throw valueError(what, 'expected an object');
      return {
        type: 'structure',
        value: entries.map(([key, [name, codec]]) => codec.encode((v as Record<string, unknown>)[key], `${what}.${name}`)),
      };
    },
  };
}

/** An array whose elements all have one shape. */
export function array<T>(element: Codec<T>): Codec<T[]> {
  return {
    decode(d, what) {
      const el = arrayOf(d, what);
      const out = new Array<T>(el.length);
      for (let i = 0; i < el.length; i++) out[i] = element.decode(el[i]!, `${what}[${i}]`);
      return out;
    },
    encode(v, what) {
      if (!Array.isArray(v)) throw valueError(what, 'expected an array');
      return { type: 'array', value: v.map((e, i) => element.encode(e, `${what}[${i}]`)) };
    },
  };
}

/** null-data or a value (e.g. access_selectors ::= CHOICE { null-data, array }). */
export function nullable<T>(inner: Codec<T>): Codec<T | null> {
  return {
    decode: (d, what) => (d.type === 'null-data' ? null : inner.decode(d, what)),
    encode: (v, what) => (v === null ? { type: 'null-data' } : inner.encode(v, what)),
  };
}

/** An attribute or method bound to its id, with the name from the class table in its errors. */
export interface Member<T> {
  readonly id: number;
  readonly name: string;
  decode(d: DlmsData): T;
  encode(v: T): DlmsData;
}

export type Members<T> = { readonly [K in keyof T]-?: Member<T[K]> };
export type MemberSpecs<T> = { [K in keyof T]-?: readonly [id: number, codec: Codec<T[K]>] };

function bind<T>(kind: 'attribute' | 'method', classId: number, specs: MemberSpecs<T>): Members<T> {
  const label = classSpec(classId)?.name ?? `class ${classId}`;
  const out = {} as Record<string, Member<unknown>>;
  for (const [key, [id, codec]] of Object.entries(specs) as [string, readonly [number, Codec<unknown>]][]) {
    const spec = kind === 'attribute' ? attributeSpec(classId, id) : methodSpec(classId, id);
    if (!spec) throw new Error(`${label} has no ${kind} ${id}`); // a table/view mismatch is a programming error
    const what = `${label}.${spec.name}`;
    out[key] = { id, name: spec.name, decode: (d) => codec.decode(d, what), encode: (v) => codec.encode(v, what) };
  }
  return out as Members<T>;
}

export function attributes<T>(classId: number, specs: MemberSpecs<T>): Members<T> {
  return bind('attribute', classId, specs);
}

export function methods<T>(classId: number, specs: MemberSpecs<T>): Members<T> {
  return bind('method', classId, specs);
}

/** The typed object of the attribute values present in `values` (by attribute id). */
export function decodeAttributes<T>(members: Members<T>, values: ReadonlyMap<number, DlmsData>): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(members) as (keyof T)[]) {
    const m = members[key];
    const d = values.get(m.id);
    if (d !== undefined) out[key] = m.decode(d);
  }
  return out;
}

/** The attribute values (by attribute id) of the fields set in `obj`. */
export function encodeAttributes<T>(members: Members<T>, obj: Partial<T>): Map<number, DlmsData> {
  const out = new Map<number, DlmsData>();
  for (const key of Object.keys(members) as (keyof T)[]) {
    const v = obj[key];
    if (v !== undefined) out.set(members[key].id, members[key].encode(v as T[keyof T]));
  }
  return out;
}
