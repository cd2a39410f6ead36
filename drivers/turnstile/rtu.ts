// Modbus RTU application frames, master side: build requests, recognise and check replies.
// Pure functions over bytes; the transaction timing lives in rtu-master.ts.
// Reference: Modbus Application Protocol v1.1b3 and Modbus over Serial Line v1.02 (CRC-16, poly 0xA001).
import { fail, ok, type Result } from '../../contracts/result.js';

export const FunctionCode = {
  readCoils: 0x01,
  readDiscreteInputs: 0x02,
  readHoldingRegisters: 0x03,
  writeSingleCoil: 0x05,
  writeSingleRegister: 0x06,
} as const;
export type FunctionCode = (typeof FunctionCode)[keyof typeof FunctionCode];

/** The largest RTU frame the standard allows (address + PDU 253 + CRC). */
export const MAX_RTU_FRAME = 256;
/** FC01/FC02 may ask for at most this many bits in one request. */
export const MAX_READ_BITS = 2000;

export type RtuRejectReason =
  | 'rtu.bad-crc'
  | 'rtu.wrong-address'
  | 'rtu.wrong-function'
  | 'rtu.bad-length'
  | 'rtu.echo-mismatch'
  | 'rtu.exception';

export interface RtuRequest {
  readonly address: number;
  readonly functionCode: FunctionCode;
  readonly bytes: Buffer;
  /** Length of a normal reply to this request; replies are cut by length, as RTU has no delimiter. */
  readonly replyLength: number;
  /** FC01/FC02: how many bits were asked for. */
  readonly bitCount: number;
}

export type RtuReply =
  | { kind: 'bits'; bits: boolean[] }
  | { kind: 'registers'; values: number[] }
  | { kind: 'written' };

const CRC_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** CRC-16/MODBUS of bytes[from, to); sent low byte first. */
export function crc16(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let crc = 0xffff;
  for (let i = from; i < to; i++) crc = (crc >>> 8) ^ CRC_TABLE[(crc ^ bytes[i]) & 0xff];
  return crc;
}

/** Appends the CRC to a frame body. */
export function withCrc(body: readonly number[]): Buffer {
  const frame = Buffer.alloc(body.length + 2);
  for (let i = 0; i < body.length; i++) frame[i] = body[i];
  frame.writeUInt16LE(crc16(frame, 0, body.length), body.length);
  return frame;
}

export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const sent = frame[frame.length - 2] | (frame[frame.length - 1] << 8);
  return crc16(frame, 0, frame.length - 2) === sent;
}

const hi = (v: number): number => (v >>> 8) & 0xff;
const lo = (v: number): number => v & 0xff;

function checkRange(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`${name} must be an integer 0..${max}, got ${value}`);
}

export function readBitsRequest(address: number, functionCode: 0x01 | 0x02, start: number, count: number): RtuRequest {
  checkRange('start', start, 0xffff);
  if (!Number.isInteger(count) || count < 1 || count > MAX_READ_BITS)
    throw new RangeError(`count must be 1..${MAX_READ_BITS}, got ${count}`);
  return {
    address,
    functionCode,
    bytes: withCrc([address, functionCode, hi(start), lo(start), hi(count), lo(count)]),
    replyLength: 5 + Math.ceil(count / 8),
    bitCount: count,
  };
}

export function readHoldingRegistersRequest(address: number, start: number, count: number): RtuRequest {
  checkRange('start', start, 0xffff);
  if (!Number.isInteger(count) || count < 1 || count > 125) throw new RangeError(`count must be 1..125, got ${count}`);
  const fc = FunctionCode.readHoldingRegisters;
  return {
    address,
    functionCode: fc,
    bytes: withCrc([address, fc, hi(start), lo(start), hi(count), lo(count)]),
    replyLength: 5 + 2 * count,
    bitCount: 0,
  };
}

export function writeCoilRequest(address: number, coil: number, on: boolean): RtuRequest {
  checkRange('coil', coil, 0xffff);
  const fc = FunctionCode.writeSingleCoil;
  return {
    address,
    functionCode: fc,
    bytes: withCrc([address, fc, hi(coil), lo(coil), on ? 0xff : 0x00, 0x00]),
    replyLength: 8,
    bitCount: 0,
  };
}

export function writeRegisterRequest(address: number, register: number, value: number): RtuRequest {
  checkRange('register', register, 0xffff);
  checkRange('value', value, 0xffff);
  const fc = FunctionCode.writeSingleRegister;
  return {
    address,
    functionCode: fc,
    bytes: withCrc([address, fc, hi(register), lo(register), hi(value), lo(value)]),
    replyLength: 8,
    bitCount: 0,
  };
}

/**
 * How many bytes the reply to `request` will have, judging from what arrived so far
 * (an exception reply is 5 bytes whatever was asked); undefined until the function byte is in.
 */
export function expectedReplyLength(
  request: RtuRequest,
  received: Uint8Array,
  receivedLength: number,
): number | undefined {
  if (receivedLength < 2) return undefined;
  return received[1] & 0x80 ? 5 : request.replyLength;
}

const MODBUS_EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  6: 'slave device busy',
};

/** Checks a complete reply frame against the request it answers. Never throws on any bytes. */
export function parseReply(request: RtuRequest, frame: Uint8Array): Result<RtuReply, RtuRejectReason> {
  if (frame.length < 5 || !hasValidCrc(frame)) return fail('rtu.bad-crc', `${frame.length} bytes`);
  if (frame[0] !== request.address) return fail('rtu.wrong-address', `from ${frame[0]}, asked ${request.address}`);
  const fc = frame[1];
  if (fc === (request.functionCode | 0x80)) {
    const code = frame[2];
    return fail('rtu.exception', `code ${code} (${MODBUS_EXCEPTIONS[code] ?? 'unknown'})`);
  }
  if (fc !== request.functionCode) return fail('rtu.wrong-function', `got ${fc}, asked ${request.functionCode}`);
  if (frame.length !== request.replyLength)
    return fail('rtu.bad-length', `${frame.length} bytes, expected ${request.replyLength}`);
  switch (request.functionCode) {
    case FunctionCode.readCoils:
    case FunctionCode.readDiscreteInputs: {
      const byteCount = Math.ceil(request.bitCount / 8);
      if (frame[2] !== byteCount) return fail('rtu.bad-length', `byte count ${frame[2]}, expected ${byteCount}`);
      const bits = new Array<boolean>(request.bitCount);
      for (let i = 0; i < request.bitCount; i++) bits[i] = ((frame[3 + (i >>> 3)] >>> (i & 7)) & 1) === 1;
      return ok({ kind: 'bits', bits });
    }
    case FunctionCode.readHoldingRegisters: {
      const count = (request.replyLength - 5) / 2;
      if (frame[2] !== count * 2) return fail('rtu.bad-length', `byte count ${frame[2]}, expected ${count * 2}`);
      const values: number[] = [];
      for (let i = 0; i < count; i++) values.push((frame[3 + 2 * i] << 8) | frame[4 + 2 * i]);
      return ok({ kind: 'registers', values });
    }
    default:
      // FC05/FC06 answer with an echo of the request: anything else means the board did something else.
      for (let i = 2; i < 6; i++) if (frame[i] !== request.bytes[i]) return fail('rtu.echo-mismatch');
      return ok({ kind: 'written' });
  }
}
