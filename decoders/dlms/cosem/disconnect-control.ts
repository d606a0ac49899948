/**
 * Disconnect control (class_id 70, version 0): the supply relay (breaker) of the meter.
 *
 *   attributes: 1 logical_name, 2 output_state boolean (true = closed, consumer connected),
 *     3 control_state enum { disconnected 0, connected 1, ready_for_reconnection 2 },
 *     4 control_mode enum 0..6 (which triggers may move the state, table below)
 *   methods: 1 remote_disconnect integer(0), 2 remote_reconnect integer(0)
 *
 * State transitions (Blue Book figure "Disconnect control state diagram"):
 *   a remote_reconnect  disconnected → connected
 *   b remote_disconnect connected → disconnected
 *   c remote_disconnect ready_for_reconnection → disconnected
 *   d remote_reconnect  disconnected → ready_for_reconnection
 *   e manual_reconnect  ready_for_reconnection → connected
 *   f manual_disconnect connected → ready_for_reconnection
 *   g local_disconnect  connected → ready_for_reconnection
 *   h local_reconnect   ready_for_reconnection → connected
 * The a/d direction follows the remote_reconnect method text: direct remote reconnection
 * (→ connected) only in modes 2 and 4, otherwise → ready_for_reconnection.
 *
 * The hardware relay lock of seed 003 §2.2.10 (values 0–3) is modelled at the end of this file.
 */
import type { DlmsData } from '../axdr/types.js';
import { attributes, boolean, int, logicalName, methods, valueError, zero } from './codec.js';
import { ClassId } from './classes.js';

export const ControlState = { disconnected: 0, connected: 1, readyForReconnection: 2 } as const;
export type ControlState = (typeof ControlState)[keyof typeof ControlState];

export type ControlMode = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export type DisconnectTrigger =
  | 'remote_disconnect'
  | 'remote_reconnect'
  | 'manual_disconnect'
  | 'manual_reconnect'
  | 'local_disconnect'
  | 'local_reconnect';

type Transition = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h';

const TRANSITIONS: Record<Transition, readonly [DisconnectTrigger, ControlState, ControlState]> = {
  a: ['remote_reconnect', ControlState.disconnected, ControlState.connected],
  b: ['remote_disconnect', ControlState.connected, ControlState.disconnected],
  c: ['remote_disconnect', ControlState.readyForReconnection, ControlState.disconnected],
  d: ['remote_reconnect', ControlState.disconnected, ControlState.readyForReconnection],
  e: ['manual_reconnect', ControlState.readyForReconnection, ControlState.connected],
  f: ['manual_disconnect', ControlState.connected, ControlState.readyForReconnection],
  g: ['local_disconnect', ControlState.connected, ControlState.readyForReconnection],
  h: ['local_reconnect', ControlState.readyForReconnection, ControlState.connected],
};

export interface ControlModeInfo {
  readonly mode: ControlMode;
  readonly description: string;
  readonly transitions: readonly Transition[];
}

/** What each control_mode allows (Blue Book control_mode attribute description). */
export const CONTROL_MODES: readonly ControlModeInfo[] = [
  { mode: 0, description: 'none: the object is always connected', transitions: [] },
  { mode: 1, description: 'disconnect remote (b, c), manual (f), local (g); reconnect remote (d), manual (e)', transitions: ['b', 'c', 'd', 'e', 'f', 'g'] },
  { mode: 2, description: 'disconnect remote (b, c), manual (f), local (g); reconnect remote (a), manual (e)', transitions: ['a', 'b', 'c', 'e', 'f', 'g'] },
  { mode: 3, description: 'disconnect remote (b, c), local (g), no manual; reconnect remote (d), manual (e)', transitions: ['b', 'c', 'd', 'e', 'g'] },
  { mode: 4, description: 'disconnect remote (b, c), local (g), no manual; reconnect remote (a), manual (e)', transitions: ['a', 'b', 'c', 'e', 'g'] },
  { mode: 5, description: 'disconnect remote (b, c), manual (f), local (g); reconnect remote (d), manual (e), local (h)', transitions: ['b', 'c', 'd', 'e', 'f', 'g', 'h'] },
  { mode: 6, description: 'disconnect remote (b, c), local (g), no manual; reconnect remote (d), manual (e), local (h)', transitions: ['b', 'c', 'd', 'e', 'g', 'h'] },
];

/**
 * The control_state after `trigger` in `mode`, or null when the mode does not allow that trigger in
 * that state (the meter then leaves the state unchanged). Used by the meter simulator.
 */
export function nextControlState(mode: ControlMode, state: ControlState, trigger: DisconnectTrigger): ControlState | null {
  for (const t of CONTROL_MODES[mode]!.transitions) {
    const [trig, from, to] = TRANSITIONS[t];
    if (trig === trigger && from === state) return to;
  }
  return null;
}

/** output_state implied by a control_state: only `connected` closes the relay. */
export function outputStateOf(state: ControlState): boolean {
  return state === ControlState.connected;
}

export interface DisconnectControl {
  logicalName: string;
  outputState: boolean;
  controlState: ControlState;
  controlMode: ControlMode;
}

export const disconnectControlAttributes = attributes<DisconnectControl>(ClassId.disconnectControl, {
  logicalName: [1, logicalName],
  outputState: [2, boolean],
  controlState: [3, int<ControlState>('enum', 2)],
  controlMode: [4, int<ControlMode>('enum', 6)],
});

export const disconnectControlMethods = methods<{ remoteDisconnect: 0; remoteReconnect: 0 }>(ClassId.disconnectControl, {
  remoteDisconnect: [1, zero],
  remoteReconnect: [2, zero],
});

/**
 * Hardware relay lock, as the production manual (seed 003 §2.2.10) reports it when the HES reads
 * "the position of the relay's hardware lock":
 *   0 lock off ("Auto"): remote relay control allowed, subject to the configured control mode
 *   1 lock engaged: relay control prohibited
 *   2 lock engaged, contact forced to "off": no remote control
 *   3 lock engaged, contact forced to "on": no remote control
 *   relay absent: shown as "-"
 *
 * Our model (assumptions, the manual names no COSEM object): the value is read from a vendor Data
 * object (class 1) whose OBIS comes from the device profile, as unsigned or enum 0..3; null-data means
 * the relay is absent. For 2 and 3 the manual says "forced off or on"; we take the state names
 * ("in state off" / "in state on") to mean 2 = forced open (disconnected), 3 = forced closed
 * (connected). The manual also notes that a signalling relay reports meaningful state only in the
 * "by events" mode; that is a device-profile concern, not decoded here.
 */
export const RelayLock = { auto: 0, locked: 1, forcedOff: 2, forcedOn: 3 } as const;
export type RelayLock = (typeof RelayLock)[keyof typeof RelayLock];

export interface RelayLockInfo {
  readonly lock: RelayLock;
  readonly name: 'auto' | 'locked' | 'forced_off' | 'forced_on';
  readonly remoteControlAllowed: boolean;
  /** The relay output the lock forces (true = closed), or null when it forces nothing. */
  readonly forcedOutput: boolean | null;
}

export const RELAY_LOCKS: readonly RelayLockInfo[] = [
  { lock: 0, name: 'auto', remoteControlAllowed: true, forcedOutput: null },
  { lock: 1, name: 'locked', remoteControlAllowed: false, forcedOutput: null },
  { lock: 2, name: 'forced_off', remoteControlAllowed: false, forcedOutput: false },
  { lock: 3, name: 'forced_on', remoteControlAllowed: false, forcedOutput: true },
];

/** The relay lock state of a Data value; null when the relay is absent (null-data). */
export function decodeRelayLock(d: DlmsData, what = 'relay_lock'): RelayLockInfo | null {
  if (d.type === 'null-data') return null;
  if (d.type !== 'unsigned' && d.type !== 'enum') throw valueError(what, `expected unsigned or enum 0..3, got ${d.type}`);
  const info = RELAY_LOCKS[d.value];
  if (!info) throw valueError(what, `${d.value} is not a relay lock state 0..3`);
  return info;
}

/** The Data value the simulator answers for a lock state (unsigned; null-data when absent). */
export function encodeRelayLock(lock: RelayLock | null, what = 'relay_lock'): DlmsData {
  if (lock === null) return { type: 'null-data' };
  if (!RELAY_LOCKS[lock]) throw valueError(what, `${String(lock)} is not a relay lock state 0..3`);
  return { type: 'unsigned', value: lock };
}

/** Whether the HES may send remote_disconnect / remote_reconnect given the lock (absent relay: no). */
export function remoteControlAllowed(lock: RelayLockInfo | null): boolean {
  return lock !== null && lock.remoteControlAllowed;
}
