// `gate06 chip read` end to end through the real PC/SC stack: the command runs as a child process
// (node bin/gate06.mjs), its binding talks to pcscd, pcscd's vpcd driver to the simulated CCCD chip in this
// process on vpcd slot 1 (TCP 35964, "Virtual PCD 00 01"; the transport tests use slot 0). Skips, saying
// what to install, where pcscd + vpcd are missing. One card slot, so the tests run one after another.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import t from 'tap';
import { simulatedChip } from '../../cli/sim-chip.js';
import type { CardBehaviour } from '../../drivers/chip-pcsc/card-channel.js';
import { PcscTransport } from '../../drivers/chip-pcsc/pcsc/transport.js';
import { NGUYEN_VAN_A } from '../../sim/cards/people.js';
import { SEED_PKI_DIR } from '../../sim/cards/test-pki.js';
import { VpcdCard } from '../../sim/devices/vpcd-card.js';
import { holdVpcdSlot, pcscSkipReason } from '../helpers/pcscd.js';

const skip = pcscSkipReason();
if (skip) t.comment(skip);

const ROOT = join(import.meta.dirname, '../..');
const READER = 'Virtual PCD 00 01';
const SLOT_1_PORT = 35964;
const TRUST = join(SEED_PKI_DIR, 'csca.cert.pem');
/** A fresh bound for each wait: pcscd polls presence, and this box is shared by several test runs. */
const eventWait = () => ({ signal: AbortSignal.timeout(60_000) });

/**
 * A second PC/SC client on the same reader, so the tests know when pcscd itself has seen a card come and go:
 * a card put in before pcscd noticed the last one leave would be taken for the old one.
 */
const watcher = new PcscTransport({ reader: READER });
// Slot 1 is shared with the chip lane's end-to-end test: one file at a time.
const releaseSlot = skip ? () => {} : await holdVpcdSlot(1);
if (!skip) await watcher.start();
t.teardown(async () => {
  await watcher.stop();
  releaseSlot();
});

async function present(behaviour: CardBehaviour): Promise<VpcdCard> {
  const vpcd = new VpcdCard(behaviour, { port: SLOT_1_PORT });
  const seen = once(watcher, 'cardInserted', eventWait());
  await vpcd.insert();
  await seen;
  return vpcd;
}

async function takeAway(vpcd: VpcdCard): Promise<void> {
  const gone = watcher.card ? once(watcher, 'cardRemoved', eventWait()) : undefined;
  vpcd.remove();
  await gone;
}

interface Run {
  code: number | null;
  json: Record<string, any>;
  stdout: string;
  stderr: string;
}

async function chipRead(args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/gate06.mjs'), 'chip', 'read', '--reader', READER, '--timeout', '60', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const lines = stdout.trim().split('\n');
  return { code, json: lines.length === 1 && lines[0] ? JSON.parse(lines[0]) : {}, stdout, stderr };
}

/** Runs `chip read` against a simulated chip with `fault`, put in the field first and taken away after. */
async function readSimulated(fault: Parameters<typeof simulatedChip>[0], args: string[]): Promise<Run> {
  const { chip } = await simulatedChip(fault);
  const vpcd = await present(chip);
  try {
    return await chipRead(args);
  } finally {
    await takeAway(vpcd);
  }
}

const CAN = NGUYEN_VAN_A.id.slice(-6);

t.test('a genuine chip: exit 0, PACE, chip authentication passed, PA ok, masked ID', { skip }, async (t) => {
  const run = await readSimulated('none', ['--can', CAN, '--trust', TRUST]);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout.trim().split('\n').length, 1, 'one JSON object on stdout');
  t.match(run.json, {
    reader: READER,
    verdict: 'genuine',
    access: 'pace',
    chipAuthentication: 'passed',
    passiveAuthentication: { ok: true, reason: 'ok' },
    holder: { id: '001******345', idSource: 'dg13' },
  });
  t.same(
    run.json.dataGroups.map((g: { number: number }) => g.number),
    [1, 2, 13, 14],
  );
  t.ok(run.json.apdus > 10 && run.json.bytes.received > 4000, 'APDUs and bytes counted, DG2 included');
  t.ok(run.json.ms.access > 0 && run.json.ms.passiveAuthentication >= 0, 'steps timed');
  t.notMatch(run.stdout + run.stderr, NGUYEN_VAN_A.id, 'the whole ID is not printed');
  t.notMatch(run.stdout + run.stderr, CAN, 'the CAN is not printed');
  t.equal(run.stderr, '', 'nothing on stderr for a genuine chip');
});

t.test('a wrong CAN: access-denied exit, the CAN not echoed', { skip }, async (t) => {
  const wrong = CAN === '987654' ? '123456' : '987654';
  const run = await readSimulated('none', ['--can', wrong, '--trust', TRUST, '--data-groups', '1']);
  t.equal(run.code, 4);
  t.match(run.json, { verdict: 'access-denied', reason: 'chip.access-denied', access: null, holder: null });
  t.equal(run.stderr.trim().split('\n').length, 1, 'one line on stderr');
  t.notMatch(run.stdout + run.stderr, wrong);
});

t.test('a clone (same files, other chip keys): clone-suspected exit', { skip }, async (t) => {
  const run = await readSimulated('clone', ['--can', CAN, '--trust', TRUST, '--data-groups', '1']);
  t.equal(run.code, 5, run.stderr);
  t.match(run.json, { verdict: 'clone-suspected', reason: 'chip.clone-suspected' });
  t.match(run.stderr, /^gate06 chip: clone suspected/);
});

t.test('a data group changed after signing: PA fails with chip.dg-mismatch, exit 6', { skip }, async (t) => {
  const run = await readSimulated('tampered-dg', ['--can', CAN, '--trust', TRUST, '--data-groups', '1,13']);
  t.equal(run.code, 6, run.stderr);
  t.match(run.json, {
    verdict: 'data-not-authentic',
    chipAuthentication: 'passed',
    passiveAuthentication: { ok: false, reason: 'chip.dg-mismatch', dataGroups: { 13: 'mismatch' } },
  });
});

t.test('a BAC-only chip is read with --mrz', { skip }, async (t) => {
  const { card, chip } = await simulatedChip('bac-only');
  const vpcd = await present(chip);
  const { documentNumber, dateOfBirth, dateOfExpiry } = card.mrzKey;
  const run = await chipRead(['--mrz', `${documentNumber},${dateOfBirth},${dateOfExpiry}`, '--trust', TRUST]).finally(
    () => takeAway(vpcd),
  );
  t.equal(run.code, 0, run.stderr);
  t.match(run.json, { verdict: 'genuine', access: 'bac', chipAuthentication: 'passed' });
  t.notMatch(run.stdout, documentNumber, 'the MRZ key is not printed');
});

t.test('without --trust the chip is read but not shown genuine: exit 7', { skip }, async (t) => {
  const run = await readSimulated('none', ['--can', CAN, '--data-groups', '1']);
  t.equal(run.code, 7);
  t.match(run.json, { verdict: 'no-trust-store', passiveAuthentication: { ok: false, reason: 'no-trust-store' } });
});

/** A chip that leaves the field when the n-th APDU reaches it, before answering. */
class PulledAtApdu implements CardBehaviour {
  private count = 0;
  constructor(
    private readonly inner: CardBehaviour,
    private readonly at: number,
    private readonly pull: () => void,
  ) {}
  get atr(): Uint8Array {
    return this.inner.atr;
  }
  powerOn(): void {
    this.inner.powerOn();
  }
  powerOff(): void {
    this.inner.powerOff();
  }
  reset(): void {
    this.inner.reset();
  }
  process(apdu: Uint8Array): Uint8Array {
    if (++this.count === this.at) this.pull();
    return this.inner.process(apdu);
  }
}

t.test('a card pulled mid-read: read-failed exit; with the card back a second read works', { skip }, async (t) => {
  const { card, chip } = await simulatedChip('none');
  let pull = (): void => {};
  // APDU 20 falls after PACE and chip authentication, among the file reads.
  const vpcd = await present(new PulledAtApdu(chip, 20, () => pull()));
  const gone = once(watcher, 'cardRemoved', eventWait());
  pull = () => vpcd.remove();
  const first = await chipRead(['--can', CAN, '--trust', TRUST, '--data-groups', '1,13']);
  t.equal(first.code, 1, first.stderr);
  t.match(first.json, { verdict: 'read-failed', reason: 'chip.removed' });
  t.match(first.stderr, /^gate06 chip: the chip could not be read \(chip\.removed/);
  await gone;

  const { chip: again } = await simulatedChip('none');
  const back = await present(again);
  const second = await chipRead(['--can', card.can, '--trust', TRUST, '--data-groups', '1,13']).finally(() =>
    takeAway(back),
  );
  t.equal(second.code, 0, second.stderr);
  t.equal(second.json.verdict, 'genuine');
});
