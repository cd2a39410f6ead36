// A framed line → the scanned text. Scanners configured for UTF-8 output send Vietnamese diacritics
// as multi-byte sequences; anything that is not strict UTF-8 is a misconfigured scanner or line noise,
// and is rejected rather than guessed at (a replacement character inside a CCCD name would be a wrong name).
import { fail, ok, type Result } from '../../contracts/result.js';
import type { QrRejectReason } from './index.js';

export type CodecRejectReason = Extract<QrRejectReason, 'frame.bad-utf8' | 'frame.empty' | 'frame.control-chars'>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
// C0, DEL and C1 controls. Tickets (base64url JWS) and CCCD QR text (|-separated) never contain them;
// a scanner that sends them (prefix/suffix codes, GS separators) is configured for another protocol.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

export function decodeScan(frame: Uint8Array): Result<string, CodecRejectReason> {
  if (frame.length === 0) return fail('frame.empty');
  let text: string;
  try {
    text = strictUtf8.decode(frame);
  } catch {
    return fail('frame.bad-utf8', `${frame.length} bytes`);
  }
  if (CONTROL_CHARS.test(text)) return fail('frame.control-chars');
  if (text.trim().length === 0) return fail('frame.empty');
  return ok(text);
}
