/*
 * SET-Response (IEC 62056-5-3 §8, tag [197] = 0xC5), A-XDR:
 *
 * Set-Response ::= CHOICE {
 *   set-response-normal                   [1] IMPLICIT Set-Response-Normal,
 *   set-response-datablock                [2] IMPLICIT Set-Response-Datablock,
 *   set-response-last-datablock           [3] IMPLICIT Set-Response-Last-Datablock,
 *   set-response-last-datablock-with-list [4] IMPLICIT Set-Response-Last-Datablock-With-List,
 *   set-response-with-list                [5] IMPLICIT Set-Response-With-List
 * }
 * Set-Response-Normal ::= SEQUENCE { invoke-id-and-priority, result Data-Access-Result }
 * Set-Response-Datablock ::= SEQUENCE { invoke-id-and-priority, block-number Unsigned32 }
 * Set-Response-Last-Datablock ::= SEQUENCE {
 *   invoke-id-and-priority, result Data-Access-Result, block-number Unsigned32
 * }
 * Set-Response-Last-Datablock-With-List ::= SEQUENCE {
 *   invoke-id-and-priority, result SEQUENCE OF Data-Access-Result, block-number Unsigned32
 * }
 * Set-Response-With-List ::= SEQUENCE { invoke-id-and-priority, result SEQUENCE OF Data-Access-Result }
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import { checkUnsigned, decodeList, encodeList, expectTag, unknownChoice } from '../common.js';

export interface SetResponseNormal {
  type: 'set-response-normal';
  invokeIdAndPriority: number;
  result: number;
}

export interface SetResponseDatablock {
  type: 'set-response-datablock';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export interface SetResponseLastDatablock {
  type: 'set-response-last-datablock';
  invokeIdAndPriority: number;
  result: number;
  blockNumber: number;
}

export interface SetResponseLastDatablockWithList {
  type: 'set-response-last-datablock-with-list';
  invokeIdAndPriority: number;
  results: number[];
  blockNumber: number;
}

export interface SetResponseWithList {
  type: 'set-response-with-list';
  invokeIdAndPriority: number;
  results: number[];
}

export type SetResponse =
  | SetResponseNormal
  | SetResponseDatablock
  | SetResponseLastDatablock
  | SetResponseLastDatablockWithList
  | SetResponseWithList;

const readResult = (r: Reader): number => r.u8('data-access-result');
const writeResult = (w: Writer, v: number): void => void w.u8(checkUnsigned(v, 0xff, 'data-access-result'));

export function decodeSetResponse(r: Reader): SetResponse {
  expectTag(r, ApduTag.setResponse, 'set-response');
  const at = r.pos;
  const choice = r.u8('Set-Response choice');
  const invokeIdAndPriority = r.u8('invoke-id-and-priority');
  switch (choice) {
    case 1:
      return { type: 'set-response-normal', invokeIdAndPriority, result: readResult(r) };
    case 2:
      return { type: 'set-response-datablock', invokeIdAndPriority, blockNumber: r.u32('block-number') };
    case 3: {
      const result = readResult(r);
      return { type: 'set-response-last-datablock', invokeIdAndPriority, result, blockNumber: r.u32('block-number') };
    }
    case 4: {
      const results = decodeList(r, 'result list', readResult);
      return { type: 'set-response-last-datablock-with-list', invokeIdAndPriority, results, blockNumber: r.u32('block-number') };
    }
    case 5:
      return { type: 'set-response-with-list', invokeIdAndPriority, results: decodeList(r, 'result list', readResult) };
    default:
      throw unknownChoice('Set-Response', choice, at);
  }
}

export function encodeSetResponse(w: Writer, v: SetResponse): void {
  w.u8(ApduTag.setResponse);
  const iip = checkUnsigned(v.invokeIdAndPriority, 0xff, 'invoke-id-and-priority');
  switch (v.type) {
    case 'set-response-normal':
      w.u8(1).u8(iip);
      writeResult(w, v.result);
      return;
    case 'set-response-datablock':
      w.u8(2).u8(iip).u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      return;
    case 'set-response-last-datablock':
      w.u8(3).u8(iip);
      writeResult(w, v.result);
      w.u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      return;
    case 'set-response-last-datablock-with-list':
      w.u8(4).u8(iip);
      encodeList(w, v.results, writeResult);
      w.u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      return;
    case 'set-response-with-list':
      w.u8(5).u8(iip);
      encodeList(w, v.results, writeResult);
      return;
  }
}
