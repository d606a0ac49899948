/**
 * One firmware image to one meter over DLMS Image Transfer (class 18), resumable: the meter's
 * image_transferred_blocks_status is the truth about what it holds, so a session broken off half way — or a
 * HES killed and restarted — goes on with the first missing block, never from block 0.
 *
 *   version query → (clean) → read image_block_size, image_transfer_enabled, image_transfer_status,
 *   image_transferred_blocks_status → initiate (only when the meter holds no part of this image) →
 *   send the missing blocks → read the blocks status again (send what is still missing) → verify
 *   (poll the status while the meter verifies) → read image_to_activate_info → activate → confirm the
 *   version with a read (in a later session when the meter restarts on activation).
 *
 * The block size is the meter's image_block_size (the largest it takes; class 18 lets the client choose no
 * other); the block must fit one ACTION request of the negotiated PDU size. HDLC windows > 1, where the
 * link negotiated them, apply below this (decoders/dlms/hdlc/link.ts).
 */
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import type { CosemAttributeDescriptor, CosemMethodDescriptor } from '../decoders/dlms/apdu/index.js';
import { CIPHERING_OVERHEAD } from '../decoders/dlms/connection/session.js';
import {
  ClassId,
  ImageTransferStatus,
  blockCount,
  imageBlock,
  imageTransferAttributes as attrs,
  imageTransferMethods as methods,
  missingBlocks,
} from '../decoders/dlms/cosem/index.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { SessionError } from '../ingest/session/errors.js';

/** What the transfer needs of a session (DlmsSession has it). */
export interface ImageSession {
  get(attribute: CosemAttributeDescriptor): Promise<DlmsData>;
  set(attribute: CosemAttributeDescriptor, value: DlmsData): Promise<void>;
  action(method: CosemMethodDescriptor, parameters?: DlmsData): Promise<DlmsData | null>;
}

export const TRANSFER_ACTIONS = ['version-query', 'clean', 'initiate', 'send-blocks', 'verify', 'activate', 'confirm'] as const;
export type TransferAction = (typeof TRANSFER_ACTIONS)[number];

export interface ImagePlan {
  /** OBIS of the Image Transfer object and of the firmware version (a Data object), from the device profile. */
  imageTransferObis: string;
  firmwareVersionObis: string | null;
  identifier: Uint8Array;
  image: Uint8Array;
  /** The version the meter reports once the image runs. */
  version: string;
  /** This HES initiated this image (identifier and size) on this meter before: blocks it holds are kept. */
  resume: boolean;
  /** Initiate anew even when the meter holds part of this image. */
  forceClean: boolean;
  /** Only read the version: success when it is the image's, error otherwise. */
  versionOnly: boolean;
  /** Activate after verification (false: stop at verified, to activate at a scheduled time). */
  activate: boolean;
  /** Attempts per block before the transfer gives up (a meter's temporary failure, a refused block). */
  blockAttempts: number;
  /** The largest ACTION request the meter takes (negotiated server-max-receive-pdu-size) and whether requests are ciphered. */
  maxPdu: number;
  ciphered: boolean;
  /** How long to wait between reads of the status while the meter verifies (default 1000 ms), and how many reads. */
  verifyPollMs?: number;
  verifyPolls?: number;
}

export interface TransferStats {
  blocksSent: number;
  /** Blocks sent again: after the meter refused one, or found missing by the check after sending. */
  blocksResent: number;
  bytesSent: number;
  /** Blocks the meter already held when the session started (a resume). */
  blocksKept: number;
}

export interface TransferObserver {
  action?(a: TransferAction): void | Promise<void>;
  /** The geometry once known; `initiated` when this session initiated the transfer. */
  started?(g: { totalBlocks: number; blockSize: number; held: number; initiated: boolean }): void | Promise<void>;
  /** After each block the meter acknowledged. */
  block?(n: number, done: number, total: number): void;
}

/** 'success': the meter runs the image; 'verified': transferred and verified, not activated (plan.activate false). */
export interface TransferOutcome {
  result: 'success' | 'verified' | 'activated-unconfirmed';
  version: string | null;
  stats: TransferStats;
  note: string;
}

/** Why a transfer ended in error, in the meter's words where it gave some. */
export class ImageTransferError extends Error {
  override readonly name = 'ImageTransferError';
  constructor(
    readonly action: TransferAction,
    message: string,
    /** 'refused' / 'rejected' by the meter, 'unsupported' configuration, 'failed' activation: no retry helps; 'link' may go on in another session. */
    readonly reason: 'refused' | 'rejected' | 'unsupported' | 'failed' | 'version',
  ) {
    super(message);
  }
}

/** Bytes of an image_block_transfer ACTION request around the block's value (header, descriptor, structure, u32, octet-string length). */
const BLOCK_REQUEST_OVERHEAD = 24;

const STATUS_NAMES = Object.fromEntries(Object.entries(ImageTransferStatus).map(([k, v]) => [v, k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)]));
const statusName = (s: number) => STATUS_NAMES[s] ?? `status ${s}`;

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

function versionText(d: DlmsData): string {
  if (d.type === 'visible-string' || d.type === 'utf8-string') return d.value;
  if (d.type === 'octet-string') return new TextDecoder().decode(d.value);
  return JSON.stringify(d);
}

/** The meter's own words for a refusal (the session's SessionError message carries the action-result name). */
function meterReason(e: unknown): string {
  return e instanceof SessionError ? e.message : String(e);
}

/** The meter answered with an action / data-access result; other session errors are the link's (another session goes on). */
const isRefusal = (e: unknown): e is SessionError => e instanceof SessionError && !e.fatal;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ImageTransfer {
  readonly stats: TransferStats = { blocksSent: 0, blocksResent: 0, bytesSent: 0, blocksKept: 0 };
  readonly #ln: Uint8Array;
  #sent = new Set<number>();

  constructor(
    private readonly s: ImageSession,
    private readonly plan: ImagePlan,
    private readonly observer: TransferObserver = {},
  ) {
    this.#ln = parseObis(plan.imageTransferObis);
  }

  #attr(id: number): CosemAttributeDescriptor {
    return { classId: ClassId.imageTransfer, instanceId: this.#ln, attributeId: id };
  }

  #method(id: number): CosemMethodDescriptor {
    return { classId: ClassId.imageTransfer, instanceId: this.#ln, methodId: id };
  }

  async #action(a: TransferAction): Promise<void> {
    await this.observer.action?.(a);
  }

  async #status(): Promise<number> {
    return attrs.imageTransferStatus.decode(await this.s.get(this.#attr(6)));
  }

  /** The firmware version the meter reports (null when the profile names no version object). */
  async version(): Promise<string | null> {
    if (!this.plan.firmwareVersionObis) return null;
    return versionText(await this.s.get({ classId: 1, instanceId: parseObis(this.plan.firmwareVersionObis), attributeId: 2 }));
  }

  /**
   * Runs what is left of the transfer in this session. Link failures (SessionError of the connection)
   * propagate as they are: the caller opens another session and calls run again, which resumes.
   */
  async run(): Promise<TransferOutcome> {
    const p = this.plan;
    await this.#action('version-query');
    const before = await this.version();
    if (before !== null && before === p.version) return this.#outcome('success', before, `the meter already runs ${before}`);
    if (p.versionOnly) throw new ImageTransferError('version-query', `the meter runs ${before ?? 'an unknown version'}, not ${p.version}`, 'version');

    const blockSize = attrs.imageBlockSize.decode(await this.s.get(this.#attr(2)));
    const room = p.maxPdu - BLOCK_REQUEST_OVERHEAD - (p.ciphered ? CIPHERING_OVERHEAD : 0);
    if (blockSize < 1 || blockSize > room) {
      throw new ImageTransferError('initiate', `image_block_size ${blockSize} does not fit one ACTION request of the meter's PDU size ${p.maxPdu} (at most ${room} bytes)`, 'unsupported');
    }
    const total = blockCount(p.image.length, blockSize);
    if (!attrs.imageTransferEnabled.decode(await this.s.get(this.#attr(5)))) {
      await this.s.set(this.#attr(5), attrs.imageTransferEnabled.encode(true));
    }
    let status = await this.#status();
    if (p.forceClean && status !== ImageTransferStatus.notInitiated) await this.#action('clean');
    // What the meter holds of this image: verified already (a session lost after verify), or blocks of it.
    if (!p.forceClean && status >= ImageTransferStatus.verificationSuccessful && status !== ImageTransferStatus.verificationFailed && status !== ImageTransferStatus.activationFailed) {
      if (await this.#holdsVerified()) return this.#afterVerify(status);
    }
    let missing: number[] | undefined;
    if (!p.forceClean && status === ImageTransferStatus.initiated) {
      const held = attrs.imageTransferredBlocksStatus.decode(await this.s.get(this.#attr(3)));
      // The blocks status tells nothing of which image the blocks belong to: the caller's record does (resume only
      // what this HES initiated with this identifier); a bit-string of another length is another image anyway.
      if (p.resume && held.length === total) missing = missingBlocks(held, total);
    }
    const initiated = missing === undefined;
    if (initiated) {
      await this.#action('initiate');
      try {
        await this.s.action(this.#method(1), methods.imageTransferInitiate.encode({ identifier: p.identifier, size: p.image.length }));
      } catch (e) {
        if (isRefusal(e)) throw new ImageTransferError('initiate', `the meter refused the image: ${meterReason(e)}`, 'refused');
        throw e;
      }
      missing = Array.from({ length: total }, (_, i) => i);
    }
    this.stats.blocksKept = total - missing!.length;
    await this.observer.started?.({ totalBlocks: total, blockSize, held: this.stats.blocksKept, initiated });

    await this.#action('send-blocks');
    let done = this.stats.blocksKept;
    for (let round = 0; missing!.length; round++) {
      for (const n of missing!) {
        await this.#sendBlock(n, blockSize);
        done++;
        this.observer.block?.(n, Math.min(done, total), total);
      }
      // The meter's word on what it holds: a block acknowledged but lost (a reset) is sent again, once per round.
      const held = attrs.imageTransferredBlocksStatus.decode(await this.s.get(this.#attr(3)));
      missing = missingBlocks(held, total);
      done = total - missing.length;
      if (missing.length && round >= p.blockAttempts) {
        throw new ImageTransferError('send-blocks', `the meter still lacks ${missing.length} block(s) (first ${missing[0]}) after ${round + 1} rounds`, 'failed');
      }
    }
    status = await this.#verify();
    return this.#afterVerify(status);
  }

  async #holdsVerified(): Promise<boolean> {
    const info = attrs.imageToActivateInfo.decode(await this.s.get(this.#attr(7)));
    return info.some((i) => i.size === this.plan.image.length && sameBytes(i.identification, this.plan.identifier));
  }

  async #sendBlock(n: number, blockSize: number): Promise<void> {
    const value = imageBlock(this.plan.image, blockSize, n);
    const params = methods.imageBlockTransfer.encode({ blockNumber: n, value });
    for (let attempt = 1; ; attempt++) {
      if (this.#sent.has(n)) this.stats.blocksResent++;
      this.#sent.add(n);
      this.stats.blocksSent++;
      this.stats.bytesSent += value.length;
      try {
        await this.s.action(this.#method(2), params);
        return;
      } catch (e) {
        if (!isRefusal(e)) throw e;
        if (attempt >= this.plan.blockAttempts) throw new ImageTransferError('send-blocks', `block ${n}: the meter refused it ${attempt} time(s): ${meterReason(e)}`, 'refused');
      }
    }
  }

  /** image_verify; a meter that verifies asynchronously answers temporary-failure and shows verification-initiated meanwhile. */
  async #verify(): Promise<number> {
    await this.#action('verify');
    let refusal: string | undefined;
    try {
      await this.s.action(this.#method(3), methods.imageVerify.encode(0));
    } catch (e) {
      if (!isRefusal(e)) throw e;
      refusal = meterReason(e);
    }
    let status = await this.#status();
    for (let i = 0; status === ImageTransferStatus.verificationInitiated && i < (this.plan.verifyPolls ?? 60); i++) {
      await wait(this.plan.verifyPollMs ?? 1000);
      status = await this.#status();
    }
    if (status !== ImageTransferStatus.verificationSuccessful) {
      throw new ImageTransferError('verify', `the meter rejected the image at verification: ${refusal ?? 'no reason given'} (image_transfer_status ${statusName(status)})`, 'rejected');
    }
    if (!(await this.#holdsVerified())) {
      throw new ImageTransferError('verify', 'image_to_activate_info does not name this image (identifier and size)', 'rejected');
    }
    return status;
  }

  async #afterVerify(status: number): Promise<TransferOutcome> {
    if (status === ImageTransferStatus.activationSuccessful) return this.#confirm();
    if (!this.plan.activate) return this.#outcome('verified', null, 'verified; activation is scheduled');
    return this.activate();
  }

  /** image_activate, then the version read; a meter that restarts on activation is confirmed in the next session. */
  async activate(): Promise<TransferOutcome> {
    await this.#action('activate');
    try {
      await this.s.action(this.#method(4), methods.imageActivate.encode(0));
    } catch (e) {
      if (isRefusal(e)) {
        const status = await this.#status().catch(() => undefined);
        throw new ImageTransferError('activate', `the meter did not activate the image: ${meterReason(e)}${status === undefined ? '' : ` (image_transfer_status ${statusName(status)})`}`, 'failed');
      }
      if (!(e instanceof SessionError)) throw e;
      return this.#outcome('activated-unconfirmed', null, `activation sent; the link closed (${e.message}): the version is read in the next session`);
    }
    try {
      return await this.#confirm();
    } catch (e) {
      if (e instanceof SessionError && e.fatal) return this.#outcome('activated-unconfirmed', null, `activated; the link closed before the version read (${e.message})`);
      throw e;
    }
  }

  /** The version read after activation: the new one is success; the old one means the image did not start. */
  async #confirm(): Promise<TransferOutcome> {
    await this.#action('confirm');
    const after = await this.version();
    if (after !== null && after !== this.plan.version) {
      throw new ImageTransferError('confirm', `after activation the meter reports version ${after}, not ${this.plan.version}`, 'failed');
    }
    return this.#outcome('success', after, after === null ? 'activated (the profile names no version object to confirm with)' : `the meter runs ${after}`);
  }

  #outcome(result: TransferOutcome['result'], version: string | null, note: string): TransferOutcome {
    return { result, version, stats: { ...this.stats }, note };
  }
}
