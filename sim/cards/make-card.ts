// makeCard: a complete synthetic CCCD chip (EF.COM, DG1, DG2, DG13, EF.SOD) for the simulator and tests,
// genuine or with a chosen fault. Every card carries a SYNTHETIC person (sim/cards/people.ts).
import type { ChipRead } from '../../drivers/chip-reader/index.js';
import { buildCom, buildDg1, buildDg2, buildDg13, mrzOf, portraitJpeg } from './data-groups.js';
import type { SyntheticPerson } from './people.js';
import { buildSod } from './sod.js';
import { loadTestPki } from './test-pki.js';

export interface CardFaults {
  /** Flip one byte of this data group after the SOD was signed: passive authentication must report chip.dg-mismatch. */
  tamperDg?: number;
  /** Sign with the rogue Document Signer, whose CSCA nobody trusts: chip.untrusted-signer. */
  untrustedSigner?: boolean;
  /** Put an expiry date in the past on the MRZ and DG13 (signed genuinely): chip.expired. */
  expired?: boolean;
}

export interface MakeCardOptions {
  person: SyntheticPerson;
  /** YYYY-MM-DD; overrides person.expiry. */
  expiry?: string;
  faults?: CardFaults;
  /** Portrait source; overrides person.facePhoto. A drawn placeholder when neither is given. */
  facePhoto?: string | Buffer;
  /** Defaults to seeds/pki. */
  pkiDir?: string;
  signingTime?: Date;
}

export interface SyntheticCard extends ChipRead {
  com: Buffer;
  person: SyntheticPerson;
  mrz: [string, string, string];
  /** The JPEG inside DG2. */
  portrait: Buffer;
  faults: CardFaults;
}

/** An expiry in the past for the `expired` fault: a CCCD of someone who turned 25 at the end of 2024. */
export const EXPIRED_DATE = '2024-12-31';

export async function makeCard(options: MakeCardOptions): Promise<SyntheticCard> {
  const { person } = options;
  const faults = options.faults ?? {};
  const expiry = faults.expired ? EXPIRED_DATE : (options.expiry ?? person.expiry);
  const pki = await loadTestPki(options.pkiDir);

  const mrz = mrzOf(person, expiry);
  const portrait = await portraitJpeg(options.facePhoto ?? person.facePhoto);
  const dataGroups = new Map<number, Buffer>([
    [1, buildDg1(mrz)],
    [2, buildDg2(portrait)],
    [13, buildDg13(person, expiry)],
  ]);
  const signer = faults.untrustedSigner ? pki.rogueDocumentSigner : pki.documentSigner;
  const sod = buildSod(dataGroups, options.signingTime ? { signer, signingTime: options.signingTime } : { signer });

  if (faults.tamperDg !== undefined) {
    const original = dataGroups.get(faults.tamperDg);
    if (!original) throw new RangeError(`cannot tamper with DG${faults.tamperDg}: the card has DG1, DG2 and DG13`);
    const tampered = Buffer.from(original);
    // The last byte is content (MRZ filler, JPEG end marker, a DG13 letter), so the file still parses.
    tampered[tampered.length - 1] ^= 0x01;
    dataGroups.set(faults.tamperDg, tampered);
  }
  return { com: buildCom(dataGroups.keys()), sod, dataGroups, person, mrz, portrait, faults };
}
