// gate06 sim chip's faults give the verdicts its --help promises, checked in process (the same chip behind
// pcscd is in test/e2e/chip-read.test.ts).
import t from 'tap';
import { CHIP_READ_EXIT, shapeChipReport } from '../../cli/chip-report.js';
import { type SimChipFault, simulatedChip } from '../../cli/sim-chip.js';
import { readChip } from '../../drivers/chip-pcsc/icao/index.js';
import { passiveAuthenticate } from '../../gateway/credentials/icao/passive-auth.js';
import { loadTrustStore } from '../../gateway/credentials/icao/trust-store.js';
import { InProcessCardChannel } from '../../sim/cards/cccd-chip/in-process-channel.js';
import { SEED_PKI_DIR } from '../../sim/cards/test-pki.js';

const trust = await loadTrustStore(`${SEED_PKI_DIR}csca.cert.pem`);
if (!trust.ok) throw new Error(`test CSCA: ${trust.detail}`);
const trustStore = trust.value;

const expected: Record<SimChipFault, [number, string]> = {
  none: [CHIP_READ_EXIT.genuine, 'ok'],
  clone: [CHIP_READ_EXIT.cloneSuspected, 'chip.clone-suspected'],
  'no-ca': [CHIP_READ_EXIT.genuine, 'ok'],
  'no-ca-aa': [CHIP_READ_EXIT.cloneNotExcluded, 'chip.clone-not-excluded'],
  'bac-only': [CHIP_READ_EXIT.genuine, 'ok'],
  'tampered-dg': [CHIP_READ_EXIT.notAuthentic, 'chip.dg-mismatch'],
  'untrusted-signer': [CHIP_READ_EXIT.notAuthentic, 'chip.untrusted-signer'],
  'mac-error': [CHIP_READ_EXIT.readFailed, 'chip.sm-error'],
};

for (const [fault, [code, reason]] of Object.entries(expected) as [SimChipFault, [number, string]][]) {
  t.test(`sim chip --fault ${fault}: chip read exits ${code} with ${reason}`, async (t) => {
    const { card, chip } = await simulatedChip(fault);
    const outcome = await readChip(new InProcessCardChannel(chip), {
      can: card.can,
      mrz: card.mrzKey,
      dataGroups: [1, 13],
    });
    const passive = outcome.ok
      ? passiveAuthenticate({
          sod: Buffer.from(outcome.value.sod),
          dataGroups: new Map([...outcome.value.dataGroups].map(([n, bytes]) => [n, Buffer.from(bytes)])),
          trust: trustStore,
          at: new Date(),
        })
      : undefined;
    const { report, exitCode } = shapeChipReport({
      readerName: 'Virtual PCD 00 01',
      outcome,
      ...(passive ? { passive } : {}),
      reveal: false,
    });
    t.equal(exitCode, code);
    t.equal(report.reason, reason);
    if (fault === 'bac-only') t.equal(report.access, 'bac');
    if (fault === 'no-ca') t.equal(report.activeAuthentication, 'passed');
  });
}
