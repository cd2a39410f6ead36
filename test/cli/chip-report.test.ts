// What `gate06 chip read` prints and how it exits, without a reader: session outcomes from the simulated chip
// in process, passive authentication against the TEST CSCA of seeds/pki.
import fc from 'fast-check';
import t from 'tap';
import {
  CHIP_READ_EXIT,
  holderFromDataGroups,
  noCardReport,
  shapeChipReport,
  summaryLine,
} from '../../cli/chip-report.js';
import { type ChipSessionOutcome, readChip } from '../../drivers/chip-pcsc/icao/index.js';
import { passiveAuthenticate } from '../../gateway/credentials/icao/passive-auth.js';
import { loadTrustStore } from '../../gateway/credentials/icao/trust-store.js';
import { CccdChip } from '../../sim/cards/cccd-chip/cccd-chip.js';
import { InProcessCardChannel } from '../../sim/cards/cccd-chip/in-process-channel.js';
import { cloneChipCard, makeChipCard } from '../../sim/cards/make-chip-card.js';
import { fullName, NGUYEN_VAN_A } from '../../sim/cards/people.js';
import { SEED_PKI_DIR } from '../../sim/cards/test-pki.js';

const card = await makeChipCard({ person: NGUYEN_VAN_A });
const trustResult = await loadTrustStore(`${SEED_PKI_DIR}csca.cert.pem`);
if (!trustResult.ok) throw new Error(`test CSCA: ${trustResult.detail}`);
const trust = trustResult.value;

const read = (options: Parameters<typeof readChip>[1], source = card) =>
  readChip(new InProcessCardChannel(new CccdChip(source)), options);
const genuine = await read({ can: card.can, dataGroups: [1, 13] });
if (!genuine.ok) throw new Error(`simulated chip: ${genuine.reason}`);
const readout = genuine.value;
const toBuffers = (groups: ReadonlyMap<number, Uint8Array>) =>
  new Map([...groups].map(([n, bytes]) => [n, Buffer.from(bytes)]));
const passive = passiveAuthenticate({
  sod: Buffer.from(readout.sod),
  dataGroups: toBuffers(readout.dataGroups),
  trust,
  at: new Date(),
});

const shape = (outcome: ChipSessionOutcome, pa: Parameters<typeof shapeChipReport>[0]['passive'], reveal = false) =>
  shapeChipReport({ readerName: 'Virtual PCD 00 01', outcome, ...(pa ? { passive: pa } : {}), reveal });

t.test('a genuine chip: exit 0, PACE, CA passed, PA ok, masked ID from DG13, sizes but no contents', async (t) => {
  const { report, exitCode } = shape(genuine, passive);
  t.equal(exitCode, CHIP_READ_EXIT.genuine);
  t.equal(report.verdict, 'genuine');
  t.equal(report.access, 'pace');
  t.equal(report.chipAuthentication, 'passed');
  t.same(report.passiveAuthentication.ok, true);
  t.same(report.holder, { id: '001******345', idSource: 'dg13' });
  t.same(
    report.dataGroups.map((g) => g.number),
    [1, 13, 14],
  );
  t.equal(report.dataGroups[0]!.bytes, card.dataGroups.get(1)!.length);
  t.ok(report.apdus > 10 && report.bytes.received > 0, 'APDUs and bytes counted');
  const printed = JSON.stringify(report);
  t.notMatch(printed, NGUYEN_VAN_A.id, 'no whole ID');
  t.notMatch(printed, card.can, 'no CAN');
  t.notMatch(printed, NGUYEN_VAN_A.surname, 'no name');
  t.notMatch(printed, '1999', 'no birth year');
});

t.test('--reveal prints the whole ID, the name and the birth date', async (t) => {
  const { report } = shape(genuine, passive, true);
  t.same(report.holder, {
    id: NGUYEN_VAN_A.id,
    idSource: 'dg13',
    name: fullName(NGUYEN_VAN_A),
    dateOfBirth: NGUYEN_VAN_A.dateOfBirth,
  });
});

t.test('without DG13 the ID comes from the DG1 MRZ, still masked', async (t) => {
  const onlyDg1 = new Map([[1, readout.dataGroups.get(1)!]]);
  t.same(holderFromDataGroups(onlyDg1, false), { id: '001******345', idSource: 'dg1' });
  t.equal(holderFromDataGroups(onlyDg1, true).dateOfBirth, NGUYEN_VAN_A.dateOfBirth);
});

t.test('a chip with neither CA nor AA and genuine data exits 3: clone not excluded', async (t) => {
  const bare: ChipSessionOutcome = {
    ok: true,
    value: { ...readout, chipAuthentication: 'not-supported', activeAuthentication: 'not-supported' },
  };
  const { report, exitCode } = shape(bare, passive);
  t.equal(exitCode, CHIP_READ_EXIT.cloneNotExcluded);
  t.equal(report.verdict, 'clone-not-excluded');
  t.equal(report.passiveAuthentication.ok, true);
});

t.test('active authentication alone is enough for a genuine verdict', async (t) => {
  const aaOnly: ChipSessionOutcome = {
    ok: true,
    value: { ...readout, chipAuthentication: 'not-supported', activeAuthentication: 'passed' },
  };
  t.equal(shape(aaOnly, passive).exitCode, CHIP_READ_EXIT.genuine);
});

t.test('without a trust store the read is reported and exits 7, since the data cannot be shown genuine', async (t) => {
  const { report, exitCode } = shape(genuine, 'no-trust-store');
  t.equal(exitCode, CHIP_READ_EXIT.noTrustStore);
  t.same(report.passiveAuthentication, { ok: false, reason: 'no-trust-store' });
  t.equal(report.chipAuthentication, 'passed', 'the chip side is still reported');
});

t.test('a data group that no longer matches the SOD exits 6 with chip.dg-mismatch', async (t) => {
  const groups = toBuffers(readout.dataGroups);
  const dg13 = Buffer.from(groups.get(13)!);
  dg13[dg13.length - 2]! ^= 1;
  groups.set(13, dg13);
  const tampered = passiveAuthenticate({ sod: Buffer.from(readout.sod), dataGroups: groups, trust, at: new Date() });
  const { report, exitCode } = shape(genuine, tampered);
  t.equal(exitCode, CHIP_READ_EXIT.notAuthentic);
  t.equal(report.reason, 'chip.dg-mismatch');
  t.match(report.passiveAuthentication, { ok: false, reason: 'chip.dg-mismatch', dataGroups: { 13: 'mismatch' } });
  t.match(
    summaryLine(report),
    /^gate06 chip: passive authentication failed\b.*\(chip\.dg-mismatch: dataGroups: DG13 mismatch\)$/,
  );
});

t.test('session failures map to their own exit codes, with PA not run and no holder', async (t) => {
  const wrongCan = await read({ can: card.can === '000000' ? '111111' : '000000' });
  const clone = await read({ can: card.can }, cloneChipCard(card));
  const removed = await readChip(new InProcessCardChannel(new CccdChip(card), { removeAfterApdus: 12 }), {
    can: card.can,
  });
  const cases = [
    [wrongCan, CHIP_READ_EXIT.accessDenied, 'access-denied', 'chip.access-denied'],
    [clone, CHIP_READ_EXIT.cloneSuspected, 'clone-suspected', 'chip.clone-suspected'],
    [removed, CHIP_READ_EXIT.readFailed, 'read-failed', 'chip.removed'],
  ] as const;
  for (const [outcome, code, verdict, reason] of cases) {
    const { report, exitCode } = shape(outcome, undefined);
    t.equal(exitCode, code, verdict);
    t.equal(report.verdict, verdict);
    t.equal(report.reason, reason);
    t.same(report.passiveAuthentication, { ok: false, reason: 'not-run' });
    t.equal(report.holder, null);
    t.equal(report.access, null);
    t.equal(summaryLine(report).split('\n').length, 1, 'the stderr summary is one line');
  }
});

t.test('timings are rounded and listed in the order the steps run', async (t) => {
  const { report } = shapeChipReport({
    readerName: 'r',
    outcome: genuine,
    passive,
    ms: { passiveAuthentication: 1.234, waitForCard: 10.06 },
    reveal: false,
  });
  const steps = Object.keys(report.ms);
  t.equal(steps[0], 'waitForCard');
  t.equal(steps.at(-1), 'passiveAuthentication');
  t.equal(report.ms.passiveAuthentication, 1.2);
  t.equal(report.ms.waitForCard, 10.1);
});

t.test('no card in time is a read failure with exit 1 and the reason', async (t) => {
  const { report, exitCode } = noCardReport(null, 'no card on the reader within 3 s', { waitForCard: 3000 });
  t.equal(exitCode, CHIP_READ_EXIT.readFailed);
  t.match(report, { verdict: 'read-failed', reason: 'chip.read-failed', detail: /within 3 s/, apdus: 0 });
});

t.test('any bytes in DG1 and DG13 give a masked ID or none, never a throw or an unmasked number', async (t) => {
  const dg1 = readout.dataGroups.get(1)!;
  const dg13 = readout.dataGroups.get(13)!;
  const mutated = (base: Uint8Array) =>
    fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => {
        const copy = Uint8Array.from(base);
        copy[at]! ^= flip;
        return copy;
      }),
    );
  fc.assert(
    fc.property(mutated(dg1), mutated(dg13), (a, b) => {
      const holder = holderFromDataGroups(
        new Map([
          [1, a],
          [13, b],
        ]),
        false,
      );
      return (holder.id === null || /^\d{3}\*{6}\d{3}$/.test(holder.id)) && holder.name === undefined;
    }),
    { numRuns: 300 },
  );
  t.pass('property held');
});
