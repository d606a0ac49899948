/**
 * A small checker for the settings schemas of settings.ts, used where data arrives outside the HTTP
 * validator (JSON configuration import). Handles exactly the keywords those schemas use.
 */
import { RegistryError } from './errors.js';

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  anyOf?: Schema[];
}

function problem(s: Schema, v: unknown): string | null {
  if (s.anyOf) return s.anyOf.some((x) => problem(x, v) === null) ? null : 'has the wrong form';
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  if (v === null) return types.includes('null') ? null : 'must not be null';
  if (types.includes('integer') && !Number.isInteger(v)) return 'must be an integer';
  if (types.includes('boolean') && typeof v !== 'boolean') return 'must be true or false';
  if (types.includes('string') && typeof v !== 'string') return 'must be a string';
  if (s.enum && !s.enum.includes(v)) return `must be one of ${s.enum.join(', ')}`;
  if (typeof v === 'number' && s.minimum !== undefined && v < s.minimum) return `must be >= ${s.minimum}`;
  if (typeof v === 'number' && s.maximum !== undefined && v > s.maximum) return `must be <= ${s.maximum}`;
  if (typeof v === 'string' && s.minLength !== undefined && v.length < s.minLength) return `must have at least ${s.minLength} characters`;
  if (typeof v === 'string' && s.maxLength !== undefined && v.length > s.maxLength) return `must have at most ${s.maxLength} characters`;
  if (typeof v === 'string' && s.pattern && !new RegExp(s.pattern).test(v)) return 'has the wrong form';
  return null;
}

/** Throws RegistryError naming `${path}.${key}` for the first bad setting. */
export function checkSettings(schema: object, settings: Record<string, unknown>, path: string): void {
  const s = schema as Schema;
  for (const k of s.required ?? []) if (settings[k] === undefined) throw new RegistryError('VALIDATION_ERROR', `${path}.${k} is required`, 400, `${path}.${k}`);
  for (const [k, v] of Object.entries(settings)) {
    const p = s.properties?.[k];
    if (!p) {
      if (s.additionalProperties === false) throw new RegistryError('VALIDATION_ERROR', `${path}.${k} is not an accepted setting`, 400, `${path}.${k}`);
      continue;
    }
    const why = problem(p, v);
    if (why) throw new RegistryError('VALIDATION_ERROR', `${path}.${k} ${why}`, 400, `${path}.${k}`);
  }
}

/** Converts a string setting (as in the JSON configuration format) to the schema's type. */
export function fromText(schema: object, key: string, text: string): unknown {
  const p = (schema as Schema).properties?.[key];
  const types = p?.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
  if (types.includes('integer')) return /^-?\d+$/.test(text) ? Number(text) : text;
  if (types.includes('boolean')) return text === 'true' ? true : text === 'false' ? false : text;
  return text;
}
