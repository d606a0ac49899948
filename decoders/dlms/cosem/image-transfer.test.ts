import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, toHex } from '../axdr/writer.js';
import {
  ImageTransferStatus,
  blockCount,
  emptyBlocksStatus,
  imageBlock,
  imageTransferAttributes,
  imageTransferMethods,
  isBlockTransferred,
  markBlockTransferred,
  missingBlocks,
  splitImage,
} from './image-transfer.js';
import { assertValueError, roundTrip } from './test-helpers.js';

test('Image transfer attributes round trip', () => {
  roundTrip(imageTransferAttributes.imageBlockSize, 192);
  // 10 blocks, blocks 0-7 and 9 received: bit-string(10) FF 40
  const status = { length: 10, bytes: fromHex('FF 40') };
  assert.equal(toHex(roundTrip(imageTransferAttributes.imageTransferredBlocksStatus, status)), '040AFF40');
  roundTrip(imageTransferAttributes.imageFirstNotTransferredBlockNumber, 8);
  roundTrip(imageTransferAttributes.imageTransferEnabled, true);
  for (let s = 0; s <= 7; s++) roundTrip(imageTransferAttributes.imageTransferStatus, s as ImageTransferStatus);
  roundTrip(imageTransferAttributes.imageToActivateInfo, [{ size: 1000, identification: fromHex('46 57 31'), signature: fromHex('AA BB') }]);
});

test('Image transfer methods encode the Blue Book structures', () => {
  // image_transfer_initiate { octet-string "FW1", double-long-unsigned 1000 }
  assert.equal(toHex(roundTrip(imageTransferMethods.imageTransferInitiate, { identifier: fromHex('46 57 31'), size: 1000 })), '02020903465731060000' + '03E8');
  assert.equal(toHex(roundTrip(imageTransferMethods.imageBlockTransfer, { blockNumber: 2, value: fromHex('01 02') })), '0202060000000209020102');
  roundTrip(imageTransferMethods.imageVerify, 0);
  roundTrip(imageTransferMethods.imageActivate, 0);
});

test('wrong shapes name the Image transfer attribute', () => {
  assertValueError(() => imageTransferAttributes.imageTransferStatus.decode({ type: 'enum', value: 8 }), 'Image transfer.image_transfer_status', '8');
  assertValueError(() => imageTransferAttributes.imageTransferredBlocksStatus.decode({ type: 'octet-string', value: new Uint8Array(1) }), 'image_transferred_blocks_status', 'bit-string');
  assertValueError(
    () => imageTransferMethods.imageBlockTransfer.decode({ type: 'structure', value: [{ type: 'long-unsigned', value: 1 }, { type: 'octet-string', value: new Uint8Array(0) }] }),
    'Image transfer.image_block_transfer.image_block_number',
  );
  assertValueError(() => imageTransferAttributes.imageTransferredBlocksStatus.encode({ length: 10, bytes: new Uint8Array(1) }), 'needs 2 bytes');
});

test('blocks: split without copying, count, last block short', () => {
  const image = Uint8Array.from({ length: 10 }, (_, i) => i);
  assert.equal(blockCount(10, 4), 3);
  assert.equal(blockCount(0, 4), 0);
  const blocks = splitImage(image, 4);
  assert.deepEqual(blocks.map((b) => [...b]), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  assert.equal(blocks[1]!.buffer, image.buffer);
  assert.deepEqual([...imageBlock(image, 4, 2)], [8, 9]);
  assertValueError(() => imageBlock(image, 4, 3), 'image_block_number', '0..2');
  assertValueError(() => blockCount(10, 0), 'image_block_size');
});

test('missing blocks from the transferred-blocks bitmap (resume)', () => {
  assert.deepEqual(missingBlocks({ length: 10, bytes: fromHex('FF 40') }, 10), [8]);
  assert.deepEqual(missingBlocks({ length: 10, bytes: fromHex('A0 00') }, 10), [1, 3, 4, 5, 6, 7, 8, 9]);
  // a bitmap shorter than the image: blocks beyond it are missing
  assert.deepEqual(missingBlocks({ length: 2, bytes: fromHex('C0') }, 4), [2, 3]);
  const s = emptyBlocksStatus(12);
  assert.equal(s.bytes.length, 2);
  markBlockTransferred(s, 0);
  markBlockTransferred(s, 11);
  assert.equal(toHex(s.bytes), '8010');
  assert.equal(isBlockTransferred(s, 11), true);
  assert.equal(isBlockTransferred(s, 12), false);
  assert.deepEqual(missingBlocks(s, 12), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assertValueError(() => markBlockTransferred(s, 12), 'image_block_number');
});
