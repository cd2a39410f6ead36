// Round trips of the ICAO 9303 session against the simulated CCCD chip (sim/cards/cccd-chip), in process.
import t from 'tap';
import { readChip } from '../../../../drivers/chip-pcsc/icao/session.js';
import { CccdChip, type CccdChipOptions } from '../../../../sim/cards/cccd-chip/cccd-chip.js';
import {
  InProcessCardChannel,
  type InProcessChannelOptions,
} from '../../../../sim/cards/cccd-chip/in-process-channel.js';
import { type ChipCard, cloneChipCard, makeChipCard } from '../../../../sim/cards/make-chip-card.js';
import { NGUYEN_VAN_A, TRAN_THI_MAU } from '../../../../sim/cards/people.js';

const genuine = await makeChipCard({ person: NGUYEN_VAN_A });
const olderCard = await makeChipCard({ person: TRAN_THI_MAU, withoutChipAuthentication: true });

function channelTo(card: ChipCard, chip: CccdChipOptions = {}, channel: InProcessChannelOptions = {}) {
  return new InProcessCardChannel(new CccdChip(card, chip), channel);
}

const reasonOf = (outcome: Awaited<ReturnType<typeof readChip>>) => (outcome.ok ? 'ok' : outcome.reason);

t.test(
  'a genuine card reads with PACE-CAN, passes chip authentication and returns every file as written',
  async (t) => {
    const outcome = await readChip(channelTo(genuine), { can: genuine.can });
    if (!outcome.ok) return t.fail(`${outcome.reason}: ${outcome.detail}`);
    const read = outcome.value;
    t.equal(read.access, 'pace');
    t.equal(read.chipAuthentication, 'passed');
    t.equal(read.activeAuthentication, 'skipped', 'AA is not needed once CA passed');
    t.equal(read.cardAccessSource, 'card');
    t.same(Buffer.from(read.sod), genuine.sod);
    t.same(Buffer.from(read.com ?? []), genuine.com);
    t.same([...read.dataGroups.keys()], [1, 2, 13, 14, 15]);
    for (const [n, bytes] of genuine.dataGroups) t.same(Buffer.from(read.dataGroups.get(n) ?? []), bytes, `DG${n}`);
    t.ok(read.metrics.apdus > 10 && read.metrics.bytesReceived > genuine.sod.length, 'APDUs and bytes are counted');
    t.ok(read.metrics.stepMs.access !== undefined && read.metrics.stepMs.readFiles !== undefined, 'steps are timed');
  },
);

t.test('PACE with the MRZ password works as well as with the CAN', async (t) => {
  const outcome = await readChip(channelTo(genuine), { mrz: genuine.mrzKey });
  t.equal(reasonOf(outcome), 'ok');
  t.equal(outcome.ok && outcome.value.access, 'pace');
});

t.test('a wrong CAN is chip.access-denied', async (t) => {
  const outcome = await readChip(channelTo(genuine), { can: genuine.can === '000000' ? '111111' : '000000' });
  t.equal(reasonOf(outcome), 'chip.access-denied');
});

t.test('a wrong MRZ key on a BAC-only card is chip.access-denied', async (t) => {
  const outcome = await readChip(channelTo(genuine, { withoutPace: true }), {
    mrz: { ...genuine.mrzKey, dateOfBirth: '010101' },
  });
  t.equal(reasonOf(outcome), 'chip.access-denied');
});

t.test('a clone (same files and SOD, other chip keys) is chip.clone-suspected by chip authentication', async (t) => {
  const outcome = await readChip(channelTo(cloneChipCard(genuine)), { can: genuine.can });
  t.equal(reasonOf(outcome), 'chip.clone-suspected');
});

t.test(
  'a card removed after N APDUs is chip.removed, and a fresh session after it is presented again works',
  async (t) => {
    const channel = channelTo(genuine, {}, { removeAfterApdus: 15 });
    const first = await readChip(channel, { can: genuine.can });
    t.equal(reasonOf(first), 'chip.removed');
    channel.reinsert();
    const second = await readChip(channel, { can: genuine.can });
    t.equal(reasonOf(second), 'ok');
  },
);

t.test('a response with a corrupted MAC is chip.sm-error', async (t) => {
  const outcome = await readChip(channelTo(genuine, { corruptResponseMacAt: 2 }), { can: genuine.can });
  t.equal(reasonOf(outcome), 'chip.sm-error');
});

t.test('an older card without chip authentication proves its key by active authentication', async (t) => {
  const outcome = await readChip(channelTo(olderCard), { can: olderCard.can });
  if (!outcome.ok) return t.fail(`${outcome.reason}: ${outcome.detail}`);
  t.equal(outcome.value.chipAuthentication, 'not-supported');
  t.equal(outcome.value.activeAuthentication, 'passed');
});

t.test('a clone of an older card fails active authentication: chip.clone-suspected', async (t) => {
  const outcome = await readChip(channelTo(cloneChipCard(olderCard)), { can: olderCard.can });
  t.equal(reasonOf(outcome), 'chip.clone-suspected');
});

t.test('a card with neither CA nor AA reads with both not-supported', async (t) => {
  const bare = await makeChipCard({
    person: NGUYEN_VAN_A,
    withoutChipAuthentication: true,
    withoutActiveAuthentication: true,
  });
  const outcome = await readChip(channelTo(bare), { can: bare.can });
  t.same(outcome.ok && [outcome.value.chipAuthentication, outcome.value.activeAuthentication], [
    'not-supported',
    'not-supported',
  ]);
});

t.test('a card without PACE is read with BAC from the MRZ key, and CA still runs', async (t) => {
  const outcome = await readChip(channelTo(genuine, { withoutPace: true }), { can: genuine.can, mrz: genuine.mrzKey });
  if (!outcome.ok) return t.fail(`${outcome.reason}: ${outcome.detail}`);
  t.equal(outcome.value.access, 'bac');
  t.equal(outcome.value.cardAccessSource, 'none');
  t.equal(outcome.value.chipAuthentication, 'passed');
});

t.test('a card without PACE and only a CAN given is chip.access-denied (BAC needs the MRZ)', async (t) => {
  const outcome = await readChip(channelTo(genuine, { withoutPace: true }), { can: genuine.can });
  t.equal(reasonOf(outcome), 'chip.access-denied');
});

t.test('a card answering 6D00 to SELECT MF still gives EF.CardAccess by short FID', async (t) => {
  const outcome = await readChip(channelTo(genuine, { selectMfUnsupported: true }), { can: genuine.can });
  t.same(outcome.ok && [outcome.value.access, outcome.value.cardAccessSource], ['pace', 'card']);
});

t.test('when EF.CardAccess cannot be read at all, the known CCCD profile is used for PACE', async (t) => {
  const outcome = await readChip(channelTo(genuine, { selectMfUnsupported: true, cardAccessHidden: true }), {
    can: genuine.can,
  });
  t.same(outcome.ok && [outcome.value.access, outcome.value.cardAccessSource], ['pace', 'cccd-profile']);
});

t.test('a short-APDU-only reader reads the same bytes as an extended-length one, with more APDUs', async (t) => {
  const extended = await readChip(channelTo(genuine, {}, { extendedLength: true }), { can: genuine.can });
  const shortOnly = channelTo(genuine, {}, { extendedLength: false });
  const short = await readChip(shortOnly, { can: genuine.can });
  if (!extended.ok || !short.ok) return t.fail('both reads should succeed');
  t.same(short.value.sod, extended.value.sod);
  t.same([...short.value.dataGroups], [...extended.value.dataGroups]);
  t.ok(short.value.metrics.apdus > extended.value.metrics.apdus);
  t.ok(
    shortOnly.sent.every((apdu) => apdu.length <= 5 + 255 + 1),
    'no APDU longer than the short form',
  );
});

t.test('a file beyond offset 32767 is read with READ BINARY B1 and arrives whole', async (t) => {
  const bigDg2 = Buffer.concat([Buffer.from([0x75, 0x82, 0x9c, 0x40]), Buffer.alloc(40000, 0x5a)]);
  const card = await makeChipCard({ person: NGUYEN_VAN_A, dataGroupOverrides: new Map([[2, bigDg2]]) });
  for (const extendedLength of [true, false]) {
    const channel = channelTo(card, {}, { extendedLength });
    const outcome = await readChip(channel, { can: card.can });
    t.same(outcome.ok && Buffer.from(outcome.value.dataGroups.get(2) ?? []), bigDg2, `extended=${extendedLength}`);
    t.ok(
      channel.sent.some((apdu) => apdu[1] === 0xb1),
      'B1 was used',
    );
  }
});

t.test('a failure outside the protocol (here the random source) still ends as a value, not a rejection', async (t) => {
  const outcome = await readChip(channelTo(genuine), {
    can: genuine.can,
    random: () => {
      throw new Error('entropy source failed');
    },
  });
  t.equal(reasonOf(outcome), 'chip.malformed');
  t.match(outcome.ok ? '' : outcome.detail, /entropy source failed/);
});
