// The PC/SC transport through the real stack: pcscd, vsmartcard's vpcd reader, the smartcard binding in the
// transport's child process, and a test card behind sim/devices/vpcd-card.ts. Skips (saying what to
// install) where pcscd + vpcd are not there. vpcd has one card slot on port 35963, so these tests run one
// after another in this one file.
import { once } from 'node:events';
import t, { type Test } from 'tap';
import { type CardBehaviour, CardChannelError } from '../../../../drivers/chip-pcsc/card-channel.js';
import { PCSC_NOT_INSTALLED, type PresentedCard } from '../../../../drivers/chip-pcsc/pcsc/index.js';
import { PcscTransport } from '../../../../drivers/chip-pcsc/pcsc/transport.js';
import { VpcdCard } from '../../../../sim/devices/vpcd-card.js';
import { pcscSkipReason, VPCD_READER_NAME } from '../../../helpers/pcscd.js';
import { EchoCard, EXTENDED_LENGTH_ATR, OneFileCard, SHORT_ONLY_ATR } from './test-cards.js';

const skip = pcscSkipReason();
if (skip) t.comment(skip);
/** A fresh 30 s bound for each wait (one shared signal would expire for the whole file). */
const eventWait = () => ({ signal: AbortSignal.timeout(30_000) });
const SELECT_FILE = Uint8Array.from([0x00, 0xa4, 0x02, 0x0c, 0x02, 0x01, 0x1e]);
/** READ BINARY from offset 0 with extended Le = 1000 (00 03 E8). */
const READ_1000_EXTENDED = Uint8Array.from([0x00, 0xb0, 0x00, 0x00, 0x00, 0x03, 0xe8]);
const FILE = Uint8Array.from({ length: 1500 }, (_, i) => (i * 7) & 0xff);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};
process.on('unhandledRejection', onUnhandled);
t.teardown(() => {
  process.off('unhandledRejection', onUnhandled);
});

/**
 * A transport on the first vpcd slot and a card for it. Teardown takes the card out and waits until pcscd
 * has seen it go: pcscd polls presence, and a card of the next test connecting before that poll would be
 * taken for the old one still in the field, then reported removed.
 */
function rig(t: Test, behaviour: CardBehaviour): { transport: PcscTransport; vpcd: VpcdCard } {
  const transport = new PcscTransport({
    reader: '/^Virtual PCD 00 00$/',
    restart: { initialMs: 50, maxMs: 500 },
    transmitTimeoutMs: 20_000,
  });
  const vpcd = new VpcdCard(behaviour);
  t.teardown(async () => {
    const gone = transport.card ? once(transport, 'cardRemoved', eventWait()).catch(() => {}) : undefined;
    vpcd.remove();
    await gone;
    await transport.stop();
  });
  return { transport, vpcd };
}

async function nextCard(transport: PcscTransport): Promise<PresentedCard> {
  const [card] = (await once(transport, 'cardInserted', eventWait())) as [PresentedCard];
  return card;
}

async function rejection(promise: Promise<unknown>): Promise<CardChannelError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof CardChannelError) return err;
    throw err;
  }
  throw new Error('expected the transmit to reject');
}

t.test('the reader is found by pattern and a presented card comes with its ATR', { skip }, async (t) => {
  const { transport, vpcd } = rig(t, new OneFileCard(EXTENDED_LENGTH_ATR, FILE));
  const attached = once(transport, 'readerAttached', eventWait());
  const inserted = nextCard(transport);
  await transport.start();
  t.same(await attached, [VPCD_READER_NAME]);
  await vpcd.insert();
  const card = await inserted;
  t.equal(card.readerName, VPCD_READER_NAME);
  t.same(Buffer.from(card.atr), Buffer.from(EXTENDED_LENGTH_ATR));
  t.equal(card.channel.extendedLength, true, 'extended length detected from the ATR card capabilities');
  t.equal(transport.health().state, 'up');
  t.equal(transport.health().readerName, VPCD_READER_NAME);
});

t.test('APDUs round-trip, including a 1000-byte extended-length response', { skip }, async (t) => {
  const { transport, vpcd } = rig(t, new OneFileCard(EXTENDED_LENGTH_ATR, FILE));
  const inserted = nextCard(transport);
  await transport.start();
  await vpcd.insert();
  const { channel } = await inserted;
  t.same(Buffer.from(await channel.transmit(SELECT_FILE)), Buffer.from([0x90, 0x00]));
  const response = await channel.transmit(READ_1000_EXTENDED);
  t.equal(response.length, 1002);
  t.same(Buffer.from(response.subarray(0, 1000)), Buffer.from(FILE.subarray(0, 1000)));
  t.same(Buffer.from(response.subarray(1000)), Buffer.from([0x90, 0x00]));
  // Short READ BINARY at an offset: the second chunk of a chunked read.
  const chunk = await channel.transmit(Uint8Array.from([0x00, 0xb0, 0x00, 0xdf, 0xdf]));
  t.same(Buffer.from(chunk.subarray(0, 0xdf)), Buffer.from(FILE.subarray(0xdf, 0xdf * 2)));
});

t.test('a card whose ATR does not offer extended length gets a short-APDU channel', { skip }, async (t) => {
  const { transport, vpcd } = rig(t, new EchoCard(SHORT_ONLY_ATR));
  const inserted = nextCard(transport);
  await transport.start();
  await vpcd.insert();
  t.equal((await inserted).channel.extendedLength, false);
});

t.test('a card pulled mid-exchange rejects the transmit with removed, and a new insert works', { skip }, async (t) => {
  let pull = (): void => {};
  const { transport, vpcd } = rig(t, new OneFileCard(EXTENDED_LENGTH_ATR, FILE, () => pull()));
  pull = () => vpcd.remove();
  let inserted = nextCard(transport);
  await transport.start();
  await vpcd.insert();
  const first = await inserted;
  const removed = once(transport, 'cardRemoved', eventWait());
  const pulled = await rejection(first.channel.transmit(Uint8Array.from([0x00, 0xee, 0x00, 0x00])));
  t.equal(pulled.flags.removed, true, `rejected with removed: ${pulled.message}`);
  await removed;
  t.equal(transport.card, undefined);
  const after = await rejection(first.channel.transmit(SELECT_FILE));
  t.equal(after.flags.removed, true, 'the old channel refuses once the card is gone');

  inserted = nextCard(transport);
  await vpcd.insert();
  const second = await inserted;
  t.same(Buffer.from(await second.channel.transmit(SELECT_FILE)), Buffer.from([0x90, 0x00]));
  const stale = await rejection(first.channel.transmit(SELECT_FILE));
  t.equal(stale.flags.removed, true, 'the first card channel stays dead after another card arrives');
});

t.test('a killed child: reader reported down, child restarted, card readable again', { skip }, async (t) => {
  const { transport, vpcd } = rig(t, new EchoCard());
  const links: string[] = [];
  transport.on('link', (state) => links.push(state));
  let inserted = nextCard(transport);
  await transport.start();
  await vpcd.insert();
  const first = await inserted;
  const pid = transport.childPid;
  t.ok(pid, 'a child process runs');

  const down = once(transport, 'link', eventWait());
  inserted = nextCard(transport);
  const inFlight = rejection(first.channel.transmit(Uint8Array.from([0x00, 0x01, 0x02, 0x03])));
  process.kill(pid!, 'SIGKILL');
  t.same((await down)[0], 'down');
  t.equal((await inFlight).flags.readerGone, true, 'the transmit in flight rejects with readerGone');

  const second = await inserted;
  t.not(transport.childPid, pid, 'a new child');
  t.equal(transport.health().restarts, 1);
  t.equal(transport.health().state, 'up');
  const echoed = await second.channel.transmit(Uint8Array.from([0x00, 0x01, 0x02, 0x03]));
  t.same(Buffer.from(echoed), Buffer.from([0x00, 0x01, 0x02, 0x03, 0x90, 0x00]));
  t.same(links, ['up', 'down', 'up']);
  t.same(unhandled, [], 'no unhandled rejection in the test process');
});

t.test('without the smartcard package the reader is down with a clear message', async (t) => {
  const transport = new PcscTransport({ reader: 'Any Reader', smartcardModule: 'smartcard-not-installed-here' });
  t.teardown(() => transport.stop());
  const down = once(transport, 'link', eventWait());
  await transport.start();
  const [state, reason] = await down;
  t.equal(state, 'down');
  t.match(reason, PCSC_NOT_INSTALLED);
  t.match(transport.health().lastError, 'apt-get install libpcsclite-dev pcscd, then npm rebuild smartcard');
  t.equal(transport.childPid, undefined, 'no child started');
});

t.test('a reader selector that is not a valid regex leaves the reader down with the reason', async (t) => {
  const transport = new PcscTransport({ reader: '/ACS (ACR1252/' });
  t.teardown(() => transport.stop());
  const down = once(transport, 'link', eventWait());
  await transport.start();
  const [state, reason] = await down;
  t.equal(state, 'down');
  t.match(reason, /bad reader selector/);
});
