/*
 * GET-Response (IEC 62056-5-3 §8, tag [196] = 0xC4), A-XDR:
 *
 * Get-Response ::= CHOICE {
 *   get-response-normal          [1] IMPLICIT Get-Response-Normal,
 *   get-response-with-datablock  [2] IMPLICIT Get-Response-With-Datablock,
 *   get-response-with-list       [3] IMPLICIT Get-Response-With-List
 * }
 * Get-Response-Normal ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   result                  Get-Data-Result
 * }
 * Get-Response-With-Datablock ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   result                  DataBlock-G
 * }
 * Get-Response-With-List ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   result                  SEQUENCE OF Get-Data-Result
 * }
 * DataBlock-G ::= SEQUENCE {
 *   last-block    BOOLEAN,
 *   block-number  Unsigned32,
 *   result CHOICE {
 *     raw-data            [0] IMPLICIT OCTET STRING,
 *     data-access-result  [1] IMPLICIT Data-Access-Result
 *   }
 * }
 *
 * The raw-data of consecutive blocks concatenate to the encoded Data of the attribute.
 */
import type { Reader } from '../../../axdr/reader.js';
import { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import {
  type GetDataResult,
  checkUnsigned,
  decodeGetDataResult,
  decodeList,
  encodeGetDataResult,
  encodeList,
  expectTag,
  readBoolean,
  unknownChoice,
} from '../common.js';

export interface GetResponseNormal {
  type: 'get-response-normal';
  invokeIdAndPriority: number;
  result: GetDataResult;
}

export type DataBlockGResult = { type: 'raw-data'; value: Uint8Array } | { type: 'data-access-result'; value: number };

export interface GetResponseWithDatablock {
  type: 'get-response-with-datablock';
  invokeIdAndPriority: number;
  lastBlock: boolean;
  blockNumber: number;
  result: DataBlockGResult;
}

export interface GetResponseWithList {
  type: 'get-response-with-list';
  invokeIdAndPriority: number;
  results: GetDataResult[];
}

export type GetResponse = GetResponseNormal | GetResponseWithDatablock | GetResponseWithList;

export function decodeGetResponse(r: Reader): GetResponse {
  expectTag(r, ApduTag.getResponse, 'get-response');
  const at = r.pos;
  const choice = r.u8('Get-Response choice');
  const invokeIdAndPriority = r.u8('invoke-id-and-priority');
  switch (choice) {
    case 1:
      return { type: 'get-response-normal', invokeIdAndPriority, result: decodeGetDataResult(r) };
    case 2: {
      const lastBlock = readBoolean(r, 'last-block');
      const blockNumber = r.u32('block-number');
      const rat = r.pos;
      const rc = r.u8('DataBlock-G result choice');
      let result: DataBlockGResult;
      if (rc === 0) result = { type: 'raw-data', value: r.bytes(r.length('raw-data length'), 'raw-data') };
      else if (rc === 1) result = { type: 'data-access-result', value: r.u8('data-access-result') };
      else throw unknownChoice('DataBlock-G result', rc, rat);
      return { type: 'get-response-with-datablock', invokeIdAndPriority, lastBlock, blockNumber, result };
    }
    case 3:
      return { type: 'get-response-with-list', invokeIdAndPriority, results: decodeList(r, 'result list', decodeGetDataResult) };
    default:
      throw unknownChoice('Get-Response', choice, at);
  }
}

export function encodeGetResponse(w: Writer, v: GetResponse): void {
  w.u8(ApduTag.getResponse);
  const iip = checkUnsigned(v.invokeIdAndPriority, 0xff, 'invoke-id-and-priority');
  switch (v.type) {
    case 'get-response-normal':
      w.u8(1).u8(iip);
      encodeGetDataResult(w, v.result);
      return;
    case 'get-response-with-datablock':
      w.u8(2).u8(iip).u8(v.lastBlock ? 1 : 0).u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      if (v.result.type === 'raw-data') w.u8(0).length(v.result.value.length).bytes(v.result.value);
      else w.u8(1).u8(checkUnsigned(v.result.value, 0xff, 'data-access-result'));
      return;
    case 'get-response-with-list':
      w.u8(3).u8(iip);
      encodeList(w, v.results, encodeGetDataResult);
      return;
  }
}

/** Get-Response-Normal with data already encoded (C4 01 iid 00 Data): a response rebuilt around data kept undecoded. */
export function encodeGetResponseNormalData(invokeIdAndPriority: number, data: Uint8Array): Uint8Array {
  const w = new Writer(4 + data.length);
  w.u8(ApduTag.getResponse).u8(1).u8(checkUnsigned(invokeIdAndPriority, 0xff, 'invoke-id-and-priority')).u8(0).bytes(data);
  return w.finish();
}
