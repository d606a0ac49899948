/*
 * ACTION-Request (IEC 62056-5-3 §8, tag [195] = 0xC3), A-XDR:
 *
 * Action-Request ::= CHOICE {
 *   action-request-normal                    [1] IMPLICIT Action-Request-Normal,
 *   action-request-next-pblock               [2] IMPLICIT Action-Request-Next-Pblock,
 *   action-request-with-list                 [3] IMPLICIT Action-Request-With-List,
 *   action-request-with-first-pblock         [4] IMPLICIT Action-Request-With-First-Pblock,
 *   action-request-with-list-and-first-pblock [5] IMPLICIT Action-Request-With-List-And-First-Pblock,
 *   action-request-with-pblock               [6] IMPLICIT Action-Request-With-Pblock
 * }
 * Action-Request-Normal ::= SEQUENCE {
 *   invoke-id-and-priority        Invoke-Id-And-Priority,
 *   cosem-method-descriptor       Cosem-Method-Descriptor,
 *   method-invocation-parameters  Data OPTIONAL
 * }
 * Action-Request-Next-Pblock ::= SEQUENCE { invoke-id-and-priority, block-number Unsigned32 }
 * Action-Request-With-List ::= SEQUENCE {
 *   invoke-id-and-priority             Invoke-Id-And-Priority,
 *   cosem-method-descriptor-list       SEQUENCE OF Cosem-Method-Descriptor,
 *   method-invocation-parameters       SEQUENCE OF Data
 * }
 * Action-Request-With-First-Pblock ::= SEQUENCE {
 *   invoke-id-and-priority, cosem-method-descriptor, pblock DataBlock-SA
 * }
 * Action-Request-With-List-And-First-Pblock ::= SEQUENCE {
 *   invoke-id-and-priority, cosem-method-descriptor-list SEQUENCE OF Cosem-Method-Descriptor, pblock DataBlock-SA
 * }
 * Action-Request-With-Pblock ::= SEQUENCE { invoke-id-and-priority, pBlock DataBlock-SA }
 */
import { decodeData, encodeData } from '../../../axdr/data.js';
import type { Reader } from '../../../axdr/reader.js';
import type { DlmsData } from '../../../axdr/types.js';
import type { Writer } from '../../../axdr/writer.js';
import { ApduTag } from '../../tags.js';
import {
  type CosemMethodDescriptor,
  type DataBlockSA,
  checkUnsigned,
  decodeDataBlockSA,
  decodeList,
  decodeMethodDescriptor,
  encodeDataBlockSA,
  encodeList,
  encodeMethodDescriptor,
  expectTag,
  readPresence,
  unknownChoice,
} from '../common.js';

export interface ActionRequestNormal {
  type: 'action-request-normal';
  invokeIdAndPriority: number;
  method: CosemMethodDescriptor;
  parameters?: DlmsData;
}

export interface ActionRequestNextPblock {
  type: 'action-request-next-pblock';
  invokeIdAndPriority: number;
  blockNumber: number;
}

export interface ActionRequestWithList {
  type: 'action-request-with-list';
  invokeIdAndPriority: number;
  methods: CosemMethodDescriptor[];
  parameters: DlmsData[];
}

export interface ActionRequestWithFirstPblock {
  type: 'action-request-with-first-pblock';
  invokeIdAndPriority: number;
  method: CosemMethodDescriptor;
  block: DataBlockSA;
}

export interface ActionRequestWithListAndFirstPblock {
  type: 'action-request-with-list-and-first-pblock';
  invokeIdAndPriority: number;
  methods: CosemMethodDescriptor[];
  block: DataBlockSA;
}

export interface ActionRequestWithPblock {
  type: 'action-request-with-pblock';
  invokeIdAndPriority: number;
  block: DataBlockSA;
}

export type ActionRequest =
  | ActionRequestNormal
  | ActionRequestNextPblock
  | ActionRequestWithList
  | ActionRequestWithFirstPblock
  | ActionRequestWithListAndFirstPblock
  | ActionRequestWithPblock;

export function decodeActionRequest(r: Reader): ActionRequest {
  expectTag(r, ApduTag.actionRequest, 'action-request');
  const at = r.pos;
  const choice = r.u8('Action-Request choice');
  const invokeIdAndPriority = r.u8('invoke-id-and-priority');
  switch (choice) {
    case 1: {
      const method = decodeMethodDescriptor(r);
      return readPresence(r, 'method-invocation-parameters')
        ? { type: 'action-request-normal', invokeIdAndPriority, method, parameters: decodeData(r) }
        : { type: 'action-request-normal', invokeIdAndPriority, method };
    }
    case 2:
      return { type: 'action-request-next-pblock', invokeIdAndPriority, blockNumber: r.u32('block-number') };
    case 3: {
      const methods = decodeList(r, 'cosem-method-descriptor-list', decodeMethodDescriptor);
      const parameters = decodeList(r, 'method-invocation-parameters', decodeData);
      return { type: 'action-request-with-list', invokeIdAndPriority, methods, parameters };
    }
    case 4: {
      const method = decodeMethodDescriptor(r);
      return { type: 'action-request-with-first-pblock', invokeIdAndPriority, method, block: decodeDataBlockSA(r) };
    }
    case 5: {
      const methods = decodeList(r, 'cosem-method-descriptor-list', decodeMethodDescriptor);
      return { type: 'action-request-with-list-and-first-pblock', invokeIdAndPriority, methods, block: decodeDataBlockSA(r) };
    }
    case 6:
      return { type: 'action-request-with-pblock', invokeIdAndPriority, block: decodeDataBlockSA(r) };
    default:
      throw unknownChoice('Action-Request', choice, at);
  }
}

export function encodeActionRequest(w: Writer, v: ActionRequest): void {
  w.u8(ApduTag.actionRequest);
  const iip = checkUnsigned(v.invokeIdAndPriority, 0xff, 'invoke-id-and-priority');
  switch (v.type) {
    case 'action-request-normal':
      w.u8(1).u8(iip);
      encodeMethodDescriptor(w, v.method);
      if (v.parameters) {
        w.u8(1);
        encodeData(w, v.parameters);
      } else w.u8(0);
      return;
    case 'action-request-next-pblock':
      w.u8(2).u8(iip).u32(checkUnsigned(v.blockNumber, 0xffffffff, 'block-number'));
      return;
    case 'action-request-with-list':
      w.u8(3).u8(iip);
      encodeList(w, v.methods, encodeMethodDescriptor);
      encodeList(w, v.parameters, encodeData);
      return;
    case 'action-request-with-first-pblock':
      w.u8(4).u8(iip);
      encodeMethodDescriptor(w, v.method);
      encodeDataBlockSA(w, v.block);
      return;
    case 'action-request-with-list-and-first-pblock':
      w.u8(5).u8(iip);
      encodeList(w, v.methods, encodeMethodDescriptor);
      encodeDataBlockSA(w, v.block);
      return;
    case 'action-request-with-pblock':
      w.u8(6).u8(iip);
      encodeDataBlockSA(w, v.block);
      return;
  }
}
