/**
 * COSEM interface classes: the class table (ids, versions, attribute and method names and types) and
 * typed views of attribute values / method parameters for each class. Each class module exports
 * `<class>Attributes` and `<class>Methods`: members with `id`, `name`, `decode(DlmsData)` and
 * `encode(value)`; `decodeAttributes` / `encodeAttributes` convert whole objects.
 */
export * from './classes.js';
export { decodeAttributes, encodeAttributes, valueError } from './codec.js';
export type { Codec, Member, Members } from './codec.js';
/** The primitive and combinator codecs (u8, dateTime, struct, array, ...) for other class views. */
export * as codecs from './codec.js';
export * from './data.js';
export * from './register.js';
export * from './clock.js';
export * from './script-table.js';
export * from './special-days.js';
export * from './association-ln.js';
export * from './image-transfer.js';
export * from './activity-calendar.js';
export * from './push-setup.js';
export * from './security-setup.js';
export * from './disconnect-control.js';
export * from './limiter.js';
export * from './profile-generic.js';
