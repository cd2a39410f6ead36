/**
 * What a published payload must never hold: a run of exactly twelve digits, the shape of a CCCD number.
 *
 * Random identifiers the gate publishes on purpose (its boot's UUID, the link fingerprint) are hex, and a
 * hex string of twelve characters or more is all digits often enough to fail a run now and then (the last
 * group of a UUID is: 0.625^12 ≈ 1 in 280). They are removed before the scan, by key, so the scan still
 * reads every other field, free text included.
 */
export const TWELVE_DIGIT_RUN = /(?<!\d)\d{12}(?!\d)/;

const OPAQUE_RANDOM_KEYS = ['bootId', 'link'];
const OPAQUE_VALUE = new RegExp(`"(${OPAQUE_RANDOM_KEYS.join('|')})":"[0-9a-f-]*"`, 'g');
// byte counts in health are sizes, not IDs, and a disk's free bytes are often twelve digits long
const BYTE_COUNT = /"(diskFreeBytes|dbBytes)":\d+/g;

export function withoutOpaqueNumbers(payloadText: string): string {
  return payloadText.replace(OPAQUE_VALUE, '').replace(BYTE_COUNT, '');
}
