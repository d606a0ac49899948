/*
 * GET-Request (IEC 62056-5-3 §8, tag [192] = 0xC0), A-XDR:
 *
 * Get-Request ::= CHOICE {
 *   get-request-normal     [1] IMPLICIT Get-Request-Normal,
 *   get-request-next       [2] IMPLICIT Get-Request-Next,
 *   get-request-with-list  [3] IMPLICIT Get-Request-With-List
 * }
 * Get-Request-Normal ::= SEQUENCE {
 *   invoke-id-and-priority      Invoke-Id-And-Priority,
 *   cosem-attribute-descriptor  Cosem-Attribute-Descriptor,
 *   access-selection            Selective-Access-Descriptor OPTIONAL
 * }
 * Get-Request-Next ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   block-number            Unsigned32
 * }
 * Get-Request-With-List ::= SEQUENCE {
 *   invoke-id-and-priority      Invoke-Id-And-Priority,
 *   attribute-descriptor-list   SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection
 * }
 */
import type { Reader } from '../../../axdr/reader.js';
import type { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import {
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type SelectiveAccess,
  checkUnsigned,
  decodeAttributeDescriptor,
  decodeAttributeWithSelection,
  decodeList,
  decodeOptionalAccess,
  encodeAttributeDescriptor,
  encodeAttributeWithSelection,
  encodeList,
  encodeOptionalAccess,
  expectTag,
  unknownChoice,
} from '../common.js';

export interface GetRequestNormal {
  type: 'get-request-normal';
  invokeIdAndPriority: number;
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccess;
}

export interface GetRequestNext {
  type: 'get-request-next';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export interface GetRequestWithList {
  type: 'get-request-with-list';
  invokeIdAndPriority: number;
  attributes: AttributeWithSelection[];
}

export type GetRequest = GetRequestNormal | GetRequestNext | GetRequestWithList;

export function decodeGetRequest(r: Reader): GetRequest {
  expectTag(r, ApduTag.getRequest, 'get-request');
  const at = r.pos;
  const choice = r.u8('Get-Request choice');
  const invokeIdAndPriority = r.u8('invoke-id-and-priority');
  switch (choice) {
    case 1: {
      const attribute = decodeAttributeDescriptor(r);
      const access = decodeOptionalAccess(r);
      return access
        ? { type: 'get-request-normal', invokeIdAndPriority, attribute, access }
        : { type: 'get-request-normal', invokeIdAndPriority, attribute };
    }
    case 2:
      return { type: 'get-request-next', invokeIdAndPriority, blockNumber: r.u32('block-number') };
    case 3:
      return {
        type: 'get-request-with-list',
        invokeIdAndPriority,
        attributes: decodeList(r, 'attribute-descriptor-list', decodeAttributeWithSelection),
      };
    default:
      throw unknownChoice('Get-Request', choice, at);
  }
}

export function encodeGetRequest(w: Writer, v: GetRequest): void {
  w.u8(ApduTag.getRequest);
  const iip = checkUnsigned(v.invokeIdAndPriority, 0xff, 'invoke-id-and-priority');
  switch (v.type) {
    case 'get-request-normal':
      w.u8(1).u8(iip);
      encodeAttributeDescriptor(w, v.attribute);
      encodeOptionalAccess(w, v.access);
      return;
    case 'get-request-next':
      w.u8(2).u8(iip);
      w.u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      return;
    case 'get-request-with-list':
      w.u8(3).u8(iip);
      encodeList(w, v.attributes, encodeAttributeWithSelection);
      return;
  }
}
