// The simulated board on its own, spoken to with raw RTU frames over the mock binding.
import t from 'tap';
import type { SerialLink } from '../../../drivers/serial/link.js';
import { withCrc } from '../../../drivers/turnstile/rtu.js';
import { VirtualTurnstile } from '../../../sim/devices/virtual-turnstile.js';
import { MockSerialPair } from '../../../sim/mock-port.js';

async function setup(t: { teardown(fn: () => unknown): void }) {
  const pair = new MockSerialPair('board');
  const board = new VirtualTurnstile(pair.device, {
    unlockCoil: { in: 0, out: 1 },
    inputs: { passageIn: 0, passageOut: 1, alarm: 2, fireAlarm: 3 },
    passMs: 50,
  });
  const gateway: SerialLink = await pair.opener({ path: pair.path, baudRate: 9600 });
  t.teardown(async () => {
    board.close();
    await gateway.close();
  });
  const ask = (body: number[]) =>
    new Promise<Buffer>((resolve) => {
      gateway.once('data', resolve);
      void gateway.write(withCrc(body));
    });
  return { board, gateway, ask };
}

t.test('an FC06 write to 0x0200 + coil closes that relay and reports the unlock with its arrival time', async (t) => {
  const { board, ask } = await setup(t);
  const unlock = new Promise<unknown[]>((resolve) => board.once('unlock', (...args) => resolve(args)));
  const reply = await ask([1, 6, 0x02, 0x01, 0x00, 0x02]);
  t.same([...reply], [...withCrc([1, 6, 0x02, 0x01, 0x00, 0x02])], 'the reply echoes the request');
  const [direction, at, how] = await unlock;
  t.same([direction, how], ['out', 'pulse']);
  t.type(at, 'number');
  t.equal(board.isUnlocked('out'), true);
});

t.test('the pulse ends by itself and the relay opens', async (t) => {
  const { board, ask } = await setup(t);
  const locked = new Promise((resolve) => board.once('lock', resolve));
  await ask([1, 6, 0x02, 0x00, 0x00, 0x01]);
  await locked;
  t.equal(board.isUnlocked('in'), false);
});

t.test('FC02 reports a simulated person on the passage sensor, then clears', async (t) => {
  const { board, ask } = await setup(t);
  const passing = board.pass('in');
  t.same([...(await ask([1, 2, 0, 0, 0, 4]))].slice(0, 4), [1, 2, 1, 0b0001]);
  await passing;
  t.same([...(await ask([1, 2, 0, 0, 0, 4]))].slice(0, 4), [1, 2, 1, 0]);
});

t.test('a request with a bad CRC is ignored, like a real slave', async (t) => {
  const { board, gateway } = await setup(t);
  const bad = withCrc([1, 6, 0x02, 0x00, 0x00, 0x01]);
  bad[7] ^= 1;
  const badFrame = new Promise<void>((resolve) => board.once('badFrame', () => resolve()));
  let replied = false;
  gateway.once('data', () => (replied = true));
  await gateway.write(bad);
  await badFrame;
  t.equal(replied, false);
  t.equal(board.isUnlocked('in'), false);
});

t.test('an unknown function code gets exception 01, an unknown register exception 02', async (t) => {
  const { ask } = await setup(t);
  t.same([...(await ask([1, 0x2b, 0, 0, 0, 0]))].slice(0, 3), [1, 0xab, 1]);
  t.same([...(await ask([1, 6, 0x00, 0x10, 0, 1]))].slice(0, 3), [1, 0x86, 2]);
});

t.test('a silent board does not answer', async (t) => {
  const { board, gateway } = await setup(t);
  board.goSilent(true);
  const served = new Promise((resolve) => setTimeout(resolve, 50));
  let replied = false;
  gateway.once('data', () => (replied = true));
  await gateway.write(withCrc([1, 2, 0, 0, 0, 4]));
  await served;
  t.equal(replied, false);
});
