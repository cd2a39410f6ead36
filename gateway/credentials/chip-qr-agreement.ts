// The CCCD chip lane on the PC/SC path (issue #13): the printed QR names the card, the chip proves it.
// Pure parts only: the CAN taken from the QR's ID, whether what the chip says agrees with what the QR
// says, and what to do with a chip that cannot prove it is not a copy of its own files.
import type { PolicyConfig } from '../config/schema.js';
import { fail, ok, type ReasonCode, type Result } from '../reasons.js';
import { type Identity, isTwelveDigits } from './identity.js';

/**
 * The card access number PACE needs: the last 6 digits of the 12-digit CCCD number (domain.md §1; the
 * same rule the VNeID and bank apps use, so the person never types a CAN at the gate).
 */
export function canFromCccdId(idNumber: string): Result<string> {
  if (!isTwelveDigits(idNumber)) return fail('qr.bad-id', 'a CAN needs the 12-digit CCCD number');
  return ok(idNumber.slice(-6));
}

export type IdentityField = 'idNumber' | 'name' | 'birthDate';

/**
 * A name as letters only: the chip's DG13 carries the name with Vietnamese diacritics, DG1 (the MRZ) in
 * upper-case ASCII with fillers, the QR as printed. Folding diacritics (and đ, which is a letter of its own
 * in Unicode, not a d with a mark) lets the three be compared; a different person's name still differs.
 */
export function foldedName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'D')
    .toUpperCase()
    .replace(/[^A-Z]+/g, ' ')
    .trim();
}

/**
 * The fields on which the chip (after passive authentication: DG1, and DG13 where the card has it)
 * contradicts the QR that was scanned to open it. A field that one side lacks is not a contradiction: the
 * ID is always on both, and it is what the CAN and the log rest on.
 */
export function chipDisagreesWithQr(qr: Identity, chip: Identity): IdentityField[] {
  const differing: IdentityField[] = [];
  if (qr.idNumber !== chip.idNumber) differing.push('idNumber');
  if (qr.name && chip.name && foldedName(qr.name) !== foldedName(chip.name)) differing.push('name');
  if (qr.birthDate && chip.birthDate && qr.birthDate !== chip.birthDate) differing.push('birthDate');
  return differing;
}

/** What the ICAO session found out about the chip's own key (drivers/chip-pcsc/icao, ChipReadout). */
export interface ChipKeyProof {
  chipAuthentication: 'passed' | 'failed' | 'not-supported';
  activeAuthentication: 'passed' | 'failed' | 'not-supported' | 'skipped';
}

/**
 * Whether a chip that read and authenticated may go on to the decision. A chip that fails an advertised
 * CA or AA never gets here (the session ends in chip.clone-suspected). One that offers neither has files
 * that passive authentication accepts, but a copy of them would pass just as well: site policy decides,
 * and `allow-with-face` only lets it through where the lane matches the face against the chip's photo.
 */
export function cloneExclusion(
  proof: ChipKeyProof,
  policy: PolicyConfig['chipCloneNotExcluded'],
  laneChecksChipFace: boolean,
): Result<'proved' | 'not-excluded', ReasonCode> {
  if (proof.chipAuthentication === 'passed' || proof.activeAuthentication === 'passed') return ok('proved');
  if (proof.chipAuthentication === 'failed' || proof.activeAuthentication === 'failed')
    return fail('chip.clone-suspected');
  if (policy === 'allow' || (policy === 'allow-with-face' && laneChecksChipFace)) return ok('not-excluded');
  return fail(
    'chip.clone-not-excluded',
    `policy ${policy}${laneChecksChipFace ? '' : ' on a lane without a face check'}`,
  );
}
