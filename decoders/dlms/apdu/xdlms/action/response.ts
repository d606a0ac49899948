/*
 * ACTION-Response (IEC 62056-5-3 §8, tag [199] = 0xC7), A-XDR:
 *
 * Action-Response ::= CHOICE {
 *   action-response-normal       [1] IMPLICIT Action-Response-Normal,
 *   action-response-with-pblock  [2] IMPLICIT Action-Response-With-Pblock,
 *   action-response-with-list    [3] IMPLICIT Action-Response-With-List,
 *   action-response-next-pblock  [4] IMPLICIT Action-Response-Next-Pblock
 * }
 * Action-Response-Normal ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   single-response         Action-Response-With-Optional-Data
 * }
 * Action-Response-With-Pblock ::= SEQUENCE { invoke-id-and-priority, pblock DataBlock-SA }
 * Action-Response-With-List ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   list-of-responses       SEQUENCE OF Action-Response-With-Optional-Data
 * }
 * Action-Response-Next-Pblock ::= SEQUENCE { invoke-id-and-priority, block-number Unsigned32 }
 * Action-Response-With-Optional-Data ::= SEQUENCE {
 *   result             Action-Result,
 *   return-parameters  Get-Data-Result OPTIONAL
 * }
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import {
  type DataBlockSA,
  type GetDataResult,
  checkUnsigned,
  decodeDataBlockSA,
  decodeGetDataResult,
  decodeList,
  encodeDataBlockSA,
  encodeGetDataResult,
  encodeList,
  expectTag,
  readPresence,
  unknownChoice,
} from '../common.js';

/** Action-Response-With-Optional-Data */
export interface ActionResponseItem {
  /** Action-Result code (see ActionResult). */
  result: number;
  returnParameters?: GetDataResult;
}

export interface ActionResponseNormal {
  type: 'action-response-normal';
  invokeIdAndPriority: number;
  response: ActionResponseItem;
}

export interface ActionResponseWithPblock {
  type: 'action-response-with-pblock';
  invokeIdAndPriority: number;
  block: DataBlockSA;
}

export interface ActionResponseWithList {
  type: 'action-response-with-list';
  invokeIdAndPriority: number;
  responses: ActionResponseItem[];
}

export interface ActionResponseNextPblock {
  type: 'action-response-next-pblock';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export type ActionResponse = ActionResponseNormal | ActionResponseWithPblock | ActionResponseWithList | ActionResponseNextPblock;

function decodeItem(r: Reader): ActionResponseItem {
  const result = r.u8('action-result');
  return readPresence(r, 'return-parameters') ? { result, returnParameters: decodeGetDataResult(r) } : { result };
}

function encodeItem(w: Writer, v: ActionResponseItem): void {
  w.u8(checkUnsigned(v.result, 0xff, 'action-result'));
  if (v.returnParameters) {
    w.u8(1);
    encodeGetDataResult(w, v.returnParameters);
  } else w.u8(0);
}

export function decodeActionResponse(r: Reader): ActionResponse {
  expectTag(r, ApduTag.actionResponse, 'action-response');
  const at = r.pos;
  const choice = r.u8('Action-Response choice');
  const invokeIdAndPriority = r.u8('invoke-id-and-priority');
  switch (choice) {
    case 1:
      return { type: 'action-response-normal', invokeIdAndPriority, response: decodeItem(r) };
    case 2:
      return { type: 'action-response-with-pblock', invokeIdAndPriority, block: decodeDataBlockSA(r) };
    case 3:
      return { type: 'action-response-with-list', invokeIdAndPriority, responses: decodeList(r, 'list-of-responses', decodeItem) };
    case 4:
      return { type: 'action-response-next-pblock', invokeIdAndPriority, blockNumber: r.u32('block-number') };
    default:
      throw unknownChoice('Action-Response', choice, at);
  }
}

export function encodeActionResponse(w: Writer, v: ActionResponse): void {
  w.u8(ApduTag.actionResponse);
  const iip = checkUnsigned(v.invokeIdAndPriority, 0xff, 'invoke-id-and-priority');
  switch (v.type) {
    case 'action-response-normal':
      w.u8(1).u8(iip);
      encodeItem(w, v.response);
      return;
    case 'action-response-with-pblock':
      w.u8(2).u8(iip);
      encodeDataBlockSA(w, v.block);
      return;
    case 'action-response-with-list':
      w.u8(3).u8(iip);
      encodeList(w, v.responses, encodeItem);
      return;
    case 'action-response-next-pblock':
      w.u8(4).u8(iip).u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      return;
  }
}
