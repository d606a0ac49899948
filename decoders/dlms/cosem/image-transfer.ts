/**
 * Image transfer (class_id 18, version 0): firmware upload in blocks (FOTA).
 *
 *   attributes: 1 logical_name, 2 image_block_size double-long-unsigned (bytes),
 *     3 image_transferred_blocks_status bit-string (bit n = block n received, MSB of byte 0 first),
 *     4 image_first_not_transferred_block_number double-long-unsigned, 5 image_transfer_enabled boolean,
 *     6 image_transfer_status enum 0..7,
 *     7 image_to_activate_info array of structure { image_to_activate_size double-long-unsigned,
 *       image_to_activate_identification octet-string, image_to_activate_signature octet-string }
 *   methods: 1 image_transfer_initiate structure { image_identifier octet-string, image_size double-long-unsigned },
 *     2 image_block_transfer structure { image_block_number double-long-unsigned, image_block_value octet-string },
 *     3 image_verify integer(0), 4 image_activate integer(0)
 *
 * Resume: read attribute 3 (or 4) and send only the blocks still missing.
 */
import type { BitString } from '../axdr/types.js';
import { array, attributes, bitString, boolean, int, logicalName, methods, octetString, struct, u32, valueError, zero } from './codec.js';
import { ClassId } from './classes.js';

export const ImageTransferStatus = {
  notInitiated: 0,
  initiated: 1,
  verificationInitiated: 2,
  verificationSuccessful: 3,
  verificationFailed: 4,
  activationInitiated: 5,
  activationSuccessful: 6,
  activationFailed: 7,
} as const;
export type ImageTransferStatus = (typeof ImageTransferStatus)[keyof typeof ImageTransferStatus];

export interface ImageToActivate {
  size: number;
  identification: Uint8Array;
  signature: Uint8Array;
}

export interface ImageTransfer {
  logicalName: string;
  imageBlockSize: number;
  imageTransferredBlocksStatus: BitString;
  imageFirstNotTransferredBlockNumber: number;
  imageTransferEnabled: boolean;
  imageTransferStatus: ImageTransferStatus;
  imageToActivateInfo: ImageToActivate[];
}

export const imageTransferAttributes = attributes<ImageTransfer>(ClassId.imageTransfer, {
  logicalName: [1, logicalName],
  imageBlockSize: [2, u32],
  imageTransferredBlocksStatus: [3, bitString],
  imageFirstNotTransferredBlockNumber: [4, u32],
  imageTransferEnabled: [5, boolean],
  imageTransferStatus: [6, int<ImageTransferStatus>('enum', 7)],
  imageToActivateInfo: [
    7,
    array(
      struct<ImageToActivate>({
        size: ['image_to_activate_size', u32],
        identification: ['image_to_activate_identification', octetString],
        signature: ['image_to_activate_signature', octetString],
      }),
    ),
  ],
});

export interface ImageTransferInitiate {
  identifier: Uint8Array;
  size: number;
}

export interface ImageBlockTransfer {
  blockNumber: number;
  value: Uint8Array;
}

export interface ImageTransferMethods {
  imageTransferInitiate: ImageTransferInitiate;
  imageBlockTransfer: ImageBlockTransfer;
  imageVerify: 0;
  imageActivate: 0;
}

export const imageTransferMethods = methods<ImageTransferMethods>(ClassId.imageTransfer, {
  imageTransferInitiate: [1, struct<ImageTransferInitiate>({ identifier: ['image_identifier', octetString], size: ['image_size', u32] })],
  imageBlockTransfer: [2, struct<ImageBlockTransfer>({ blockNumber: ['image_block_number', u32], value: ['image_block_value', octetString] })],
  imageVerify: [3, zero],
  imageActivate: [4, zero],
});

function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 1) throw valueError('image_block_size', `${blockSize} is not a positive integer`);
}

/** Number of blocks an image of `imageSize` bytes takes (the last one may be short). */
export function blockCount(imageSize: number, blockSize: number): number {
  checkBlockSize(blockSize);
  return Math.ceil(imageSize / blockSize);
}

/** Block `n` of the image: a view into `image`, not a copy. */
export function imageBlock(image: Uint8Array, blockSize: number, n: number): Uint8Array {
  const count = blockCount(image.length, blockSize);
  if (!Number.isInteger(n) || n < 0 || n >= count) throw valueError('image_block_number', `${n} is outside 0..${count - 1}`);
  return image.subarray(n * blockSize, Math.min(image.length, (n + 1) * blockSize));
}

/** The image split into blocks (views into `image`). */
export function splitImage(image: Uint8Array, blockSize: number): Uint8Array[] {
  const count = blockCount(image.length, blockSize);
  const out = new Array<Uint8Array>(count);
  for (let n = 0; n < count; n++) out[n] = image.subarray(n * blockSize, Math.min(image.length, (n + 1) * blockSize));
  return out;
}

/** Whether block n is marked transferred; bits beyond the bit-string's length read as not transferred. */
export function isBlockTransferred(status: BitString, n: number): boolean {
  if (n < 0 || n >= status.length) return false;
  return (status.bytes[n >>> 3]! & (0x80 >>> (n & 7))) !== 0;
}

/** Block numbers in 0..totalBlocks−1 the meter has not received yet, ascending. */
export function missingBlocks(status: BitString, totalBlocks: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < totalBlocks; n++) if (!isBlockTransferred(status, n)) out.push(n);
  return out;
}

/** An all-zero transferred-blocks bit-string for `totalBlocks` blocks (the meter side after initiate). */
export function emptyBlocksStatus(totalBlocks: number): BitString {
  if (!Number.isInteger(totalBlocks) || totalBlocks < 0) throw valueError('image_transferred_blocks_status', `${totalBlocks} blocks`);
  return { length: totalBlocks, bytes: new Uint8Array(Math.ceil(totalBlocks / 8)) };
}

/** Marks block n transferred in place (the meter simulator after image_block_transfer). */
export function markBlockTransferred(status: BitString, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n >= status.length) throw valueError('image_block_number', `${n} is outside 0..${status.length - 1}`);
  status.bytes[n >>> 3]! |= 0x80 >>> (n & 7);
}
