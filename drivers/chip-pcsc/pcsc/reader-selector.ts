// Which PC/SC reader a lane uses. pcscd names readers "<vendor> <model> [<interface>] <bus> <slot>", and the
// bus/slot numbers change with the USB port, so a config names the reader exactly, by a glob
// ("ACS ACR1252 * 00 00") or by a regex written between slashes ("/ACS ACR1252/i").
import type { Decoded } from './protocol.js';

export type ReaderMatcher = (readerName: string) => boolean;

export function parseReaderSelector(selector: string): Decoded<ReaderMatcher, 'reader.bad-selector'> {
  if (selector.length === 0) return { ok: false, reason: 'reader.bad-selector', detail: 'empty reader selector' };
  const regex = /^\/(.+)\/([a-z]*)$/s.exec(selector);
  if (regex) {
    try {
      const pattern = new RegExp(regex[1]!, regex[2]);
      return { ok: true, value: (name) => pattern.test(name) };
    } catch (err) {
      return { ok: false, reason: 'reader.bad-selector', detail: `${selector}: ${(err as Error).message}` };
    }
  }
  if (/[*?]/.test(selector)) {
    const escaped = selector
      .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    const pattern = new RegExp(`^${escaped}$`);
    return { ok: true, value: (name) => pattern.test(name) };
  }
  return { ok: true, value: (name) => name === selector };
}
