// gate06 sim chip: a simulated CCCD chip (SYNTHETIC person, SOD signed by the TEST CSCA of seeds/pki) behind
// vsmartcard's virtual reader, so that `gate06 chip read` can be tried through real pcscd on a machine with
// no card: this process is the card, pcscd's vpcd driver the reader.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CccdChip, type CccdChipOptions } from '../sim/cards/cccd-chip/cccd-chip.js';
import { type ChipCard, cloneChipCard, makeChipCard } from '../sim/cards/make-chip-card.js';
import { NGUYEN_VAN_A, type SyntheticPerson } from '../sim/cards/people.js';
import { buildSod } from '../sim/cards/sod.js';
import { loadTestPki } from '../sim/cards/test-pki.js';
import { VPCD_DEFAULT_PORT, VpcdCard } from '../sim/devices/vpcd-card.js';

/** What can be wrong with the simulated chip, and what `gate06 chip read` then says. */
export const SIM_CHIP_FAULTS = {
  none: 'a genuine CCCD chip: PACE-CAN, Chip Authentication (exit 0)',
  clone: 'every file copied byte for byte onto a chip with other keys (exit 5, clone suspected)',
  'no-ca': 'an older chip with Active Authentication only (exit 0)',
  'no-ca-aa': 'a chip with neither Chip nor Active Authentication (exit 3, clone not excluded)',
  'bac-only': 'no EF.CardAccess and no PACE: read it with --mrz (exit 0)',
  'tampered-dg': 'DG13 changed after the SOD was signed (exit 6, chip.dg-mismatch)',
  'untrusted-signer': 'the SOD signed by a document signer outside the test CSCA (exit 6)',
  'mac-error': 'the chip corrupts the MAC of its fifth protected response (exit 1, chip.sm-error)',
} as const;

export type SimChipFault = keyof typeof SIM_CHIP_FAULTS;

export const isSimChipFault = (name: string): name is SimChipFault => Object.hasOwn(SIM_CHIP_FAULTS, name);

/** Flips one byte inside DG13's value, keeping the length, so the file parses but no longer hashes right. */
function tamperedDataGroup(bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  const at = copy.length - 2;
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** The card's files and the chip's behaviour for one fault. */
export async function simulatedChip(
  fault: SimChipFault,
  person: SyntheticPerson = NGUYEN_VAN_A,
): Promise<{ card: ChipCard; chip: CccdChip }> {
  const chipOptions: CccdChipOptions = {};
  let card = await makeChipCard({
    person,
    ...(fault === 'no-ca' || fault === 'no-ca-aa' ? { withoutChipAuthentication: true } : {}),
    ...(fault === 'no-ca-aa' ? { withoutActiveAuthentication: true } : {}),
  });
  switch (fault) {
    case 'clone':
      card = cloneChipCard(card);
      break;
    case 'tampered-dg':
      card = { ...card, dataGroups: new Map(card.dataGroups).set(13, tamperedDataGroup(card.dataGroups.get(13)!)) };
      break;
    case 'untrusted-signer': {
      const pki = await loadTestPki();
      card = { ...card, sod: buildSod(card.dataGroups, { signer: pki.rogueDocumentSigner }) };
      break;
    }
    case 'bac-only':
      chipOptions.withoutPace = true;
      break;
    case 'mac-error':
      chipOptions.corruptResponseMacAt = 5;
      break;
  }
  return { card, chip: new CccdChip(card, chipOptions) };
}

const HELP = `usage: gate06 sim chip [--slot 0|1] [--fault NAME] [--can DIGITS]

Puts a simulated CCCD chip (SYNTHETIC person, SOD signed by the TEST CSCA in seeds/pki) behind
vsmartcard's virtual reader and keeps it in the field until Ctrl-C. Needs pcscd and vsmartcard-vpcd
(apt-get install pcscd vsmartcard-vpcd). Prints one JSON line with the reader name, the CAN and the MRZ
key to try:  gate06 chip read --reader "Virtual PCD 00 00" --can CAN --trust seeds/pki/csca.cert.pem

  --slot N        vpcd slot: 0 (TCP ${VPCD_DEFAULT_PORT}, "Virtual PCD 00 00") or 1 (TCP ${VPCD_DEFAULT_PORT + 1}, "Virtual PCD 00 01")
  --can DIGITS    the 6-digit CAN, that is the last 6 digits of the synthetic person's ID (default ${NGUYEN_VAN_A.id.slice(-6)})
  --fault NAME    what is wrong with the chip:
${Object.entries(SIM_CHIP_FAULTS)
  .map(([name, what]) => `                    ${name.padEnd(17)}${what}`)
  .join('\n')}`;

const ROOT = fileURLToPath(new URL('../', import.meta.url));

export async function run(argv: string[]): Promise<number> {
  let values: { slot?: string; fault?: string; can?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        slot: { type: 'string', default: '0' },
        fault: { type: 'string', default: 'none' },
        can: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`gate06 sim chip: ${(e as Error).message.replace(/\s*\n\s*/g, ' ')}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const slot = Number(values.slot);
  if (slot !== 0 && slot !== 1) {
    console.error('gate06 sim chip: --slot must be 0 or 1');
    return 2;
  }
  const fault = values.fault ?? 'none';
  if (!isSimChipFault(fault)) {
    console.error(`gate06 sim chip: unknown --fault; one of ${Object.keys(SIM_CHIP_FAULTS).join(', ')}`);
    return 2;
  }
  if (values.can !== undefined && !/^\d{6}$/.test(values.can)) {
    console.error('gate06 sim chip: --can must be 6 digits');
    return 2;
  }
  // The CAN is the last six digits of the ID, so another CAN means another (still SYNTHETIC) ID number.
  const person = values.can ? { ...NGUYEN_VAN_A, id: NGUYEN_VAN_A.id.slice(0, 6) + values.can } : NGUYEN_VAN_A;
  const { card, chip } = await simulatedChip(fault, person);
  const vpcd = new VpcdCard(chip, { port: VPCD_DEFAULT_PORT + slot });
  // Our own remove() at Ctrl-C is not news; pcscd closing the connection is (it reconnects by itself).
  vpcd.on('disconnected', (reason) => {
    if (reason !== 'removed') console.error(`gate06 sim chip: vpcd connection closed (${reason}), reconnecting`);
  });
  vpcd.on('refused', (reason) => console.error(`gate06 sim chip: refused a vpcd message: ${reason}`));
  await vpcd.insert();
  const reader = `Virtual PCD 00 0${slot}`;
  console.log(
    JSON.stringify({
      reader,
      port: VPCD_DEFAULT_PORT + slot,
      fault,
      synthetic: true,
      can: card.can,
      mrz: `${card.mrzKey.documentNumber},${card.mrzKey.dateOfBirth},${card.mrzKey.dateOfExpiry}`,
      trust: join(ROOT, 'seeds/pki/csca.cert.pem'),
      try: `gate06 chip read --reader "${reader}" --can ${card.can} --trust seeds/pki/csca.cert.pem`,
    }),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  vpcd.remove();
  return 0;
}
