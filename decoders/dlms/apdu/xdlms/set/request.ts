/*
 * SET-Request (IEC 62056-5-3 §8, tag [193] = 0xC1), A-XDR:
 *
 * Set-Request ::= CHOICE {
 *   set-request-normal                         [1] IMPLICIT Set-Request-Normal,
 *   set-request-with-first-datablock           [2] IMPLICIT Set-Request-With-First-Datablock,
 *   set-request-with-datablock                 [3] IMPLICIT Set-Request-With-Datablock,
 *   set-request-with-list                      [4] IMPLICIT Set-Request-With-List,
 *   set-request-with-list-and-first-datablock  [5] IMPLICIT Set-Request-With-List-And-First-Datablock
 * }
 * Set-Request-Normal ::= SEQUENCE {
 *   invoke-id-and-priority      Invoke-Id-And-Priority,
 *   cosem-attribute-descriptor  Cosem-Attribute-Descriptor,
 *   access-selection            Selective-Access-Descriptor OPTIONAL,
 *   value                       Data
 * }
 * Set-Request-With-First-Datablock ::= SEQUENCE {
 *   invoke-id-and-priority      Invoke-Id-And-Priority,
 *   cosem-attribute-descriptor  Cosem-Attribute-Descriptor,
 *   access-selection        [0] IMPLICIT Selective-Access-Descriptor OPTIONAL,
 *   datablock                   DataBlock-SA
 * }
 * Set-Request-With-Datablock ::= SEQUENCE {
 *   invoke-id-and-priority  Invoke-Id-And-Priority,
 *   datablock               DataBlock-SA
 * }
 * Set-Request-With-List ::= SEQUENCE {
 *   invoke-id-and-priority     Invoke-Id-And-Priority,
 *   attribute-descriptor-list  SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection,
 *   value-list                 SEQUENCE OF Data
 * }
 * Set-Request-With-List-And-First-Datablock ::= SEQUENCE {
 *   invoke-id-and-priority     Invoke-Id-And-Priority,
 *   attribute-descriptor-list  SEQUENCE OF Cosem-Attribute-Descriptor-With-Selection,
 *   datablock                  DataBlock-SA
 * }
 */
import { decodeData, encodeData } from '../../../axdr/data.js';
import type { Reader } from '../../../axdr/reader.js';
import type { DlmsData } from '../../../axdr/types.js';
import type { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import {
  type AttributeWithSelection,
  type CosemAttributeDescriptor,
  type DataBlockSA,
  type SelectiveAccess,
  checkUnsigned,
  decodeAttributeDescriptor,
  decodeAttributeWithSelection,
  decodeDataBlockSA,
  decodeList,
  decodeOptionalAccess,
  encodeAttributeDescriptor,
  encodeAttributeWithSelection,
  encodeDataBlockSA,
  encodeList,
  encodeOptionalAccess,
  expectTag,
  unknownChoice,
} from '../common.js';

export interface SetRequestNormal {
  type: 'set-request-normal';
  invokeIdAndPriority: number;
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccess;
  value: DlmsData;
}

export interface SetRequestWithFirstDatablock {
  type: 'set-request-with-first-datablock';
  invokeIdAndPriority: number;
  attribute: CosemAttributeDescriptor;
  access?: SelectiveAccess;
  block: DataBlockSA;
}

export interface SetRequestWithDatablock {
  type: 'set-request-with-datablock';
  invokeIdAndPriority: number;
  block: DataBlockSA;
}

export interface SetRequestWithList {
  type: 'set-request-with-list';
  invokeIdAndPriority: number;
  attributes: AttributeWithSelection[];
  values: DlmsData[];
}

export interface SetRequestWithListAndFirstDatablock {
  type: 'set-request-with-list-and-first-datablock';
  invokeIdAndPriority: number;
  attributes: AttributeWithSelection[];
  block: DataBlockSA;
}

export type SetRequest =
  | SetRequestNormal
  | SetRequestWithFirstDatablock
  | SetRequestWithDatablock
  | SetRequestWithList
  | SetRequestWithListAndFirstDatablock;

export function decodeSetRequest(r: Reader): SetRequest {
  expectTag(r, ApduTag.setRequest, 'set-request');
  const at = r.pos;
  const choice = r.u8('Set-Request choice');
  const invokeIdAndPriority = r.u8('invoke-id-and-priority');
  switch (choice) {
    case 1: {
      const attribute = decodeAttributeDescriptor(r);
      const access = decodeOptionalAccess(r);
      const value = decodeData(r);
      return access
        ? { type: 'set-request-normal', invokeIdAndPriority, attribute, access, value }
        : { type: 'set-request-normal', invokeIdAndPriority, attribute, value };
    }
    case 2: {
      const attribute = decodeAttributeDescriptor(r);
      const access = decodeOptionalAccess(r);
      const block = decodeDataBlockSA(r);
      return access
        ? { type: 'set-request-with-first-datablock', invokeIdAndPriority, attribute, access, block }
        : { type: 'set-request-with-first-datablock', invokeIdAndPriority, attribute, block };
    }
    case 3:
      return { type: 'set-request-with-datablock', invokeIdAndPriority, block: decodeDataBlockSA(r) };
    case 4: {
      const attributes = decodeList(r, 'attribute-descriptor-list', decodeAttributeWithSelection);
      const values = decodeList(r, 'value-list', decodeData);
      return { type: 'set-request-with-list', invokeIdAndPriority, attributes, values };
    }
    case 5: {
      const attributes = decodeList(r, 'attribute-descriptor-list', decodeAttributeWithSelection);
      return { type: 'set-request-with-list-and-first-datablock', invokeIdAndPriority, attributes, block: decodeDataBlockSA(r) };
    }
    default:
      throw unknownChoice('Set-Request', choice, at);
  }
}

export function encodeSetRequest(w: Writer, v: SetRequest): void {
  w.u8(ApduTag.setRequest);
  const iip = checkUnsigned(v.invokeIdAndPriority, 0xff, 'invoke-id-and-priority');
  switch (v.type) {
    case 'set-request-normal':
      w.u8(1).u8(iip);
      encodeAttributeDescriptor(w, v.attribute);
      encodeOptionalAccess(w, v.access);
      encodeData(w, v.value);
      return;
    case 'set-request-with-first-datablock':
      w.u8(2).u8(iip);
      encodeAttributeDescriptor(w, v.attribute);
      encodeOptionalAccess(w, v.access);
      encodeDataBlockSA(w, v.block);
      return;
    case 'set-request-with-datablock':
      w.u8(3).u8(iip);
      encodeDataBlockSA(w, v.block);
      return;
    case 'set-request-with-list':
      w.u8(4).u8(iip);
      encodeList(w, v.attributes, encodeAttributeWithSelection);
      encodeList(w, v.values, encodeData);
      return;
    case 'set-request-with-list-and-first-datablock':
      w.u8(5).u8(iip);
      encodeList(w, v.attributes, encodeAttributeWithSelection);
      encodeDataBlockSA(w, v.block);
      return;
  }
}
