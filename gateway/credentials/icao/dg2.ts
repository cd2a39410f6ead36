// EF.DG2 (ICAO 9303-10 4.7.2): tag 0x75 → 7F61 biometric information group → 7F60 template →
// A1 header + 5F2E (or 7F2E) biometric data block, an ISO/IEC 19794-5 facial record 'FAC\0'.
// Only the first face image is used: the gate compares one live face with one document photo.
import { fail, ok, type Result } from '../../reasons.js';
import { children, DerError, errorMessage, expect, readSingle, value } from './der.js';

/** CCCD photos are ~15 KB; passports rarely exceed 40 KB. 1 MB bounds a hostile chip. */
export const MAX_DG2_BYTES = 1024 * 1024;

export type FaceImageType = 'jpeg' | 'jpeg2000';

export interface FaceImage {
  type: FaceImageType;
  /** Width and height as declared in the 19794-5 image information (0 when unknown). */
  width: number;
  height: number;
  image: Buffer;
}

export interface Dg2Options {
  /** JPEG 2000 photos are refused unless the face pipeline can decode them (see image-support.ts). */
  acceptJpeg2000?: boolean;
}

const FACIAL_RECORD_HEADER = 14; // 'FAC\0', version, record length (4), number of images (2)
const FACIAL_INFO = 20; // block length (4) … pose uncertainty (3)
const FEATURE_POINT = 8;
const IMAGE_INFO = 12; // type, data type, width, height, colour space, source, device, quality

function imageTypeOf(image: Buffer): FaceImageType | null {
  if (image.length >= 3 && image[0] === 0xff && image[1] === 0xd8 && image[2] === 0xff) return 'jpeg';
  if (image.subarray(0, 8).equals(Buffer.from('0000000c6a502020', 'hex'))) return 'jpeg2000';
  if (image.subarray(0, 4).equals(Buffer.from('ff4fff51', 'hex'))) return 'jpeg2000';
  return null;
}

function readFacialRecord(bdb: Buffer): FaceImage {
  if (bdb.length < FACIAL_RECORD_HEADER + FACIAL_INFO + IMAGE_INFO) throw new DerError('facial record too short');
  if (bdb.toString('latin1', 0, 4) !== 'FAC\0')
    throw new DerError('biometric data block is not an ISO/IEC 19794-5 facial record');
  if (bdb.readUInt16BE(12) < 1) throw new DerError('facial record holds no image');
  const blockStart = FACIAL_RECORD_HEADER;
  const blockLength = bdb.readUInt32BE(blockStart);
  const featurePoints = bdb.readUInt16BE(blockStart + 4);
  const blockEnd = blockStart + blockLength;
  const infoStart = blockStart + FACIAL_INFO + featurePoints * FEATURE_POINT;
  const imageStart = infoStart + IMAGE_INFO;
  if (blockEnd > bdb.length || imageStart > blockEnd) throw new DerError('facial record lengths run past the data');
  const image = Buffer.from(bdb.subarray(imageStart, blockEnd));
  const type = imageTypeOf(image);
  if (!type) throw new DerError('face image is neither JPEG nor JPEG 2000');
  return { type, width: bdb.readUInt16BE(infoStart + 2), height: bdb.readUInt16BE(infoStart + 4), image };
}

export function parseDg2(bytes: Buffer, options: Dg2Options = {}): Result<FaceImage, 'chip.malformed'> {
  if (bytes.length > MAX_DG2_BYTES)
    return fail('chip.malformed', `DG2: ${bytes.length} bytes exceeds ${MAX_DG2_BYTES}`);
  let face: FaceImage;
  try {
    const group = children(expect(readSingle(bytes), 0x75, 'DG2')).find((c) => c.tag === 0x7f61);
    if (!group) throw new DerError('no biometric information group template (7F61)');
    const template = children(group).find((c) => c.tag === 0x7f60);
    if (!template) throw new DerError('no biometric information template (7F60)');
    const block = children(template).find((c) => c.tag === 0x5f2e || c.tag === 0x7f2e);
    if (!block) throw new DerError('no biometric data block (5F2E/7F2E)');
    face = readFacialRecord(value(block));
  } catch (e) {
    return fail('chip.malformed', `DG2: ${errorMessage(e)}`);
  }
  if (face.type === 'jpeg2000' && !options.acceptJpeg2000) {
    return fail('chip.malformed', 'DG2: JPEG 2000 face image, and no JPEG 2000 decoder on this gateway');
  }
  return ok(face);
}
