// Failure paths of the PC/SC transport's child, driven through a stand-in for the smartcard package
// (fake-smartcard.cjs), so they run without pcscd.
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { CardChannelError } from '../../../../drivers/chip-pcsc/card-channel.js';
import { PCSC_NOT_INSTALLED, type PresentedCard } from '../../../../drivers/chip-pcsc/pcsc/index.js';
import { PcscTransport } from '../../../../drivers/chip-pcsc/pcsc/transport.js';

const FAKE_MODULE = fileURLToPath(new URL('./fake-smartcard.cjs', import.meta.url));
const eventWait = () => ({ signal: AbortSignal.timeout(20_000) });

/** The child inherits the environment when it starts, so the mode is set just around start(). */
async function startWithMode(t: Test, mode: string, transmitTimeoutMs = 5_000): Promise<PcscTransport> {
  const transport = new PcscTransport({
    reader: 'Fake Reader*',
    smartcardModule: FAKE_MODULE,
    restart: { initialMs: 20, maxMs: 200 },
    transmitTimeoutMs,
  });
  t.teardown(() => transport.stop());
  process.env.FAKE_SMARTCARD_MODE = mode;
  t.teardown(() => {
    delete process.env.FAKE_SMARTCARD_MODE;
  });
  await transport.start();
  return transport;
}

t.test('a binding that cannot load leaves the reader down with the install hint', async (t) => {
  const transport = await startWithMode(t, 'load-fails');
  const [state, reason] = await once(transport, 'link', eventWait());
  t.equal(state, 'down');
  t.match(reason, PCSC_NOT_INSTALLED);
  t.match(reason, /libpcsclite/, 'with the loader error');
  t.match(transport.health().lastError, PCSC_NOT_INSTALLED);
});

t.test('a transmit nobody answers rejects with timeout and the reader stays usable', async (t) => {
  const transport = await startWithMode(t, 'hang', 200);
  const [card] = (await once(transport, 'cardInserted', eventWait())) as [PresentedCard];
  const err = await card.channel.transmit(Uint8Array.of(0, 0xa4, 0, 0)).catch((e: unknown) => e);
  t.ok(err instanceof CardChannelError);
  t.equal((err as CardChannelError).flags.timeout, true);
  t.equal(transport.health().state, 'up');
});

t.test('a malformed frame from the child is refused and counted, and later frames still count', async (t) => {
  const transport = await startWithMode(t, 'garbage');
  const [card] = (await once(transport, 'cardInserted', eventWait())) as [PresentedCard];
  t.equal(transport.health().rejectedMessages, 1);
  t.match(transport.health().lastError, /ipc\.not-json/);
  const echoed = await card.channel.transmit(Uint8Array.of(0, 1, 2, 3));
  t.same([...echoed], [0, 1, 2, 3, 0x90, 0x00]);
});

t.test('a frame length beyond the bound ends that child; a new one takes over', async (t) => {
  const transport = await startWithMode(t, 'oversized');
  const [state] = await once(transport, 'link', eventWait()); // up on the first reader-attached
  t.equal(state, 'up');
  const [down, reason] = await once(transport, 'link', eventWait());
  t.equal(down, 'down');
  t.match(reason, /PC\/SC child exited \(SIGKILL\)/);
  t.ok(transport.health().rejectedMessages >= 1);
  await once(transport, 'readerAttached', eventWait());
  t.ok(transport.health().restarts >= 1, 'restarted');
});
