// The CCCD chip lane on the PC/SC path end to end (issue #13): the simulated person scans the QR on the
// lane's virtual scanner, then puts a simulated CCCD chip on a vpcd slot; the gateway's own PcscTransport
// reads it through the real pcscd (PACE with the CAN from the QR, chip authentication, the files), and the
// decision goes through passive authentication, the QR cross-check and policy as any other.
//
// The vpcd slot: slot 0 belongs to the transport tests, slot 1 is shared with the chip read tests and taken
// in turn through a lock (holdVpcdSlot), since tap runs test files in parallel.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { type SimChipFault, simulatedChip } from '../../cli/sim-chip.js';
import type { CardBehaviour } from '../../drivers/chip-pcsc/card-channel.js';
import { PcscTransport } from '../../drivers/chip-pcsc/pcsc/transport.js';
import { composeGateway } from '../../gateway/compose.js';
import type { ChipPromptStep, DecisionRecord } from '../../gateway/events.js';
import { createLogger } from '../../gateway/logger.js';
import { NGUYEN_VAN_A, type SyntheticPerson, syntheticVariant } from '../../sim/cards/people.js';
import { cccdQrText } from '../../sim/people/population.js';
import { SimRig } from '../../sim/rig.js';
import { demoConfig } from '../helpers/harness.js';
import { holdVpcdSlot, pcscSkipReason } from '../helpers/pcscd.js';

// vpcd's second slot (TCP 35964), shared with test/e2e/chip-read.test.ts and taken in turn: a second
// reader.conf entry for the same vpcd driver shares its slots and mixes the two readers' APDUs.
const READER = '/^Virtual PCD 00 01$/';
const VPCD_PORT = 35964;
/** A fresh bound for each wait: pcscd polls presence, and this box is shared by several test runs. */
const eventWait = () => ({ signal: AbortSignal.timeout(60_000) });

const skip: string | false = pcscSkipReason();
const releaseSlot = skip ? () => {} : await holdVpcdSlot(1);

/** A second PC/SC client on the same reader: the tests wait for pcscd itself to see a card come and go. */
const watcher = new PcscTransport({ reader: READER });
if (!skip) await watcher.start();
if (skip) t.comment(skip);
t.teardown(async () => {
  await watcher.stop();
  releaseSlot();
});

// L1 entry: the chip lane (generous timeout for a loaded box). L2 entry: the shortest timeout, for the
// no-card case, on a reader that never sees a card (its own view of L1's reader could lag behind pcscd's and
// still hold the last test's card); the wait for a card does not depend on the reader being there.
const config = demoConfig((c) => {
  c.gate.lanes[0]!.entry = {
    ...c.gate.lanes[0]!.entry!,
    chipReader: { pcsc: { reader: READER, extendedLength: 'auto' } },
    accepts: ['chip'],
    chipReadTimeoutMs: 60_000,
  };
  c.gate.lanes[1]!.entry = {
    ...c.gate.lanes[1]!.entry!,
    chipReader: { pcsc: { reader: 'a reader this box does not have', extendedLength: 'auto' } },
    accepts: ['chip'],
    chipReadTimeoutMs: 1000,
  };
  c.policy.chipCloneNotExcluded = 'deny';
});
const dir = mkdtempSync(join(tmpdir(), 'gate06-pcsc-lane-'));
const rig = skip
  ? undefined
  : await SimRig.start(config, { transport: SimRig.defaultTransport(), dir: join(dir, 'tty'), vpcdPorts: [VPCD_PORT] });
const gateway = rig
  ? await composeGateway({ config: rig.config, logger: createLogger('error'), devices: rig.devices })
  : undefined;
await gateway?.start();
t.teardown(async () => {
  await gateway?.stop();
  await rig?.stop();
});

const nextDecision = (lane: string): Promise<DecisionRecord> =>
  new Promise((resolve) => {
    const owner = {};
    gateway!.core.bus.on(owner, 'decision.made', (d) => {
      if (d.lane !== lane) return;
      gateway!.core.bus.removeOwner(owner);
      resolve(d);
    });
  });
const nextPrompt = (lane: string, step: ChipPromptStep): Promise<void> =>
  new Promise((resolve) => {
    const owner = {};
    gateway!.core.bus.on(owner, 'chip.prompt', (p) => {
      if (p.lane !== lane || p.step !== step) return;
      gateway!.core.bus.removeOwner(owner);
      resolve();
    });
  });

/** Synthetic people with IDs of their own (so anti-passback never meets one twice); born 1999, male. */
/** A SYNTHETIC card holder like NGUYEN_VAN_A, told apart by the serial in the last six ID digits. */
const person = (serial: number, changes: Partial<SyntheticPerson> = {}): SyntheticPerson =>
  syntheticVariant(NGUYEN_VAN_A, serial, changes);

/** The slot's card goes away, and the test waits until pcscd has seen it go. */
async function takeAway(): Promise<void> {
  const gone = watcher.card ? once(watcher, 'cardRemoved', eventWait()) : undefined;
  rig!.lane('L1').chipSlot.in!.remove();
  await gone;
}

/** QR of `qrOf` on L1's entry scanner, then (once the lane asks for it) the card `behaviour`; the decision. */
async function scanThenHold(qrOf: SyntheticPerson, behaviour: CardBehaviour): Promise<DecisionRecord> {
  const decided = nextDecision('L1');
  const asked = nextPrompt('L1', 'hold-card');
  await rig!.lane('L1').qr.in!.scan(cccdQrText(qrOf));
  await asked;
  const seen = once(watcher, 'cardInserted', eventWait());
  await rig!.lane('L1').chipSlot.in!.present(behaviour);
  await seen;
  try {
    return await decided;
  } finally {
    await takeAway();
  }
}

async function chipOf(fault: SimChipFault, who: SyntheticPerson): Promise<CardBehaviour> {
  return (await simulatedChip(fault, who)).chip;
}

t.test('a genuine card after its QR: allow, with PACE and chip authentication in the event', { skip }, async (t) => {
  const p = person(100001);
  const d = await scanThenHold(p, await chipOf('none', p));
  t.match(d, { decision: 'allow', reason: 'ok', credential: 'chip', idMasked: '001******001' });
  t.match(d.facts, { pa: 'ok', chipAccess: 'pace', chipAuthentication: 'passed', cloneExcluded: true });
  t.notOk(JSON.stringify(d).includes(p.id), 'the whole ID is not in the decision');
  await rig!.lane('L1').turnstile.pass('in');
});

t.test(
  'the QR of one person and the card of another: chip.access-denied (the CAN does not open it)',
  { skip },
  async (t) => {
    const d = await scanThenHold(person(100002), await chipOf('none', person(200003)));
    t.match(d, { decision: 'deny', reason: 'chip.access-denied', credential: 'chip' });
  },
);

t.test('a clone (same files, other chip keys): chip.clone-suspected', { skip }, async (t) => {
  const p = person(100004);
  const d = await scanThenHold(p, await chipOf('clone', p));
  t.match(d, { decision: 'deny', reason: 'chip.clone-suspected' });
});

t.test('a chip with neither chip nor active authentication: denied by policy here', { skip }, async (t) => {
  const p = person(100005);
  const d = await scanThenHold(p, await chipOf('no-ca-aa', p));
  t.match(d, { decision: 'deny', reason: 'chip.clone-not-excluded' });
});

t.test('a card pulled mid-read: chip.read-failed, and scanning and holding it again works', { skip }, async (t) => {
  const p = person(100006);
  let pulls = 0;
  // APDU 20 falls after PACE and chip authentication, among the file reads.
  const pulled = new PulledAtApdu(await chipOf('none', p), 20, () => {
    pulls++;
    rig!.lane('L1').chipSlot.in!.remove();
  });
  const first = await scanThenHold(p, pulled);
  t.equal(pulls, 1, 'the card really left during the read');
  t.match(first, { decision: 'deny', reason: 'chip.read-failed', facts: { chipSession: 'chip.removed' } });
  const again = await scanThenHold(p, await chipOf('none', p));
  t.match(again, { decision: 'allow', reason: 'ok' });
  await rig!.lane('L1').turnstile.pass('in');
});

t.test('a data group changed after signing: chip.dg-mismatch', { skip }, async (t) => {
  const p = person(100007);
  const d = await scanThenHold(p, await chipOf('tampered-dg', p));
  t.match(d, { decision: 'deny', reason: 'chip.dg-mismatch' });
});

t.test('a genuine chip whose DG13 disagrees with the QR (name, birth date): chip.id-mismatch', { skip }, async (t) => {
  // Same ID, so the CAN opens the chip; the chip was issued to someone else under it.
  const onQr = person(100008);
  const onChip = person(100008, { givenNames: 'Văn Bình', dateOfBirth: '1999-02-03' });
  const d = await scanThenHold(onQr, await chipOf('none', onChip));
  t.match(d, { decision: 'deny', reason: 'chip.id-mismatch', facts: { pa: 'ok', mismatch: 'name,birthDate' } });
});

t.test('a QR with no card following it within chipReadTimeoutMs: chip.timeout', { skip }, async (t) => {
  const decided = nextDecision('L2');
  await rig!.lane('L2').qr.in!.scan(cccdQrText(person(100009)));
  t.match(await decided, { decision: 'deny', reason: 'chip.timeout', credential: 'chip', facts: { timeoutMs: 1000 } });
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
