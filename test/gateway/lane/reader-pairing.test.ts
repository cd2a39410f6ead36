// Reader pairing: which devices make up each side of a lane, when a CCCD QR starts a chip read, and how a
// bound ticket and the holder's ID card (or an ID card and the ticket it supports) become one presentation.
import t from 'tap';
import type { LaneSide } from '../../../gateway/config/schema.js';
import type { CredentialInput } from '../../../gateway/credentials/establish.js';
import {
  type HeldPresentation,
  holdExpired,
  laneReaders,
  type PairingInput,
  pairPresentation,
  scanStartsChipRead,
} from '../../../gateway/lane/reader-pairing.js';
import { NGUYEN_VAN_A } from '../../../sim/cards/people.js';
import { cccdQrText } from '../../../sim/people/population.js';
import { demoConfig } from '../../helpers/harness.js';

const config = demoConfig((c) => {
  const l2 = c.gate.lanes[1]!;
  l2.exit!.chipReader = { pcsc: { reader: 'ACS ACR1252*', extendedLength: 'auto' } };
  l2.exit!.camera = { kind: 'mjpeg', url: 'http://127.0.0.1:8081/cam', timeoutMs: 1500 };
  delete l2.exit!.qrScanner;
});
const [L1, L2] = config.gate.lanes as [(typeof config.gate.lanes)[0], (typeof config.gate.lanes)[0]];
const side = (accepts: LaneSide['accepts']): LaneSide => ({ ...L1.entry!, accepts });

const ticket: CredentialInput = { kind: 'ticket', token: 'h.p.s' };
const qr: CredentialInput = { kind: 'cccd-qr', text: cccdQrText(NGUYEN_VAN_A) }; // SYNTHETIC
const chip: CredentialInput = { kind: 'chip', sod: Buffer.of(1), dataGroups: new Map() };
const input = (over: Partial<PairingInput>): PairingInput => ({
  held: undefined,
  presented: { credential: ticket, receivedAt: 10 },
  side: side(['ticket']),
  ticketNamesHolder: false,
  now: 1000,
  windowMs: 20_000,
  ...over,
});

t.test("each side's readers: the QR scanner, a serial or a PC/SC chip reader, the camera", async (t) => {
  const l1 = laneReaders(L1);
  t.same(
    l1.map((s) => [s.direction, Boolean(s.qrScanner), s.chipReader?.kind ?? null, Boolean(s.camera)]),
    [
      ['in', true, null, false],
      ['out', true, null, false],
    ],
  );
  const l2 = laneReaders(L2);
  t.match(l2[0], { direction: 'in', chipReader: { kind: 'serial', port: { baudRate: 115200 } } });
  t.match(l2[1], {
    direction: 'out',
    chipReader: { kind: 'pcsc', reader: { reader: 'ACS ACR1252*' } },
    camera: { kind: 'mjpeg' },
  });
  t.notOk(l2[1]!.qrScanner);
  t.equal(l2[1]!.side, L2.exit, 'the side config itself, for what it accepts and its face policy');
});

t.test('a lane with one side has one entry', async (t) => {
  t.same(
    laneReaders({ ...L1, exit: undefined }).map((s) => s.direction),
    ['in'],
  );
});

t.test('a CCCD QR starts a chip read only where the side takes the chip and has a PC/SC reader', async (t) => {
  t.ok(scanStartsChipRead(qr, side(['chip']), true));
  t.notOk(scanStartsChipRead(qr, side(['chip']), false), 'no PC/SC reader: the QR is a credential of its own');
  t.notOk(scanStartsChipRead(qr, side(['cccd-qr', 'ticket']), true), 'the side does not take the chip');
  t.notOk(scanStartsChipRead(ticket, side(['chip', 'ticket']), true), 'a ticket is never a CAN');
  t.notOk(scanStartsChipRead(qr, undefined, true));
});

t.test('an unbound ticket is decided at once, alone', async (t) => {
  t.same(pairPresentation(input({})), { t: 'decide', credential: ticket, receivedAt: 10, held: undefined });
});

t.test("a ticket bound to its holder waits for the holder's ID card", async (t) => {
  const p = pairPresentation(input({ ticketNamesHolder: true }));
  t.same(p, {
    t: 'hold',
    held: { credential: ticket, receivedAt: 10, expiresAt: 21_000 },
    waitingFor: 'id-card',
  });
});

t.test('the ID card that follows is decided with it: the ticket opens, the card supports it', async (t) => {
  const held: HeldPresentation = { credential: ticket, receivedAt: 10, expiresAt: 21_000 };
  for (const card of [qr, chip]) {
    t.same(pairPresentation(input({ held, presented: { credential: card, receivedAt: 500 }, now: 5000 })), {
      t: 'decide',
      credential: ticket,
      supporting: [card],
      receivedAt: 10,
      held: undefined,
    });
  }
});

t.test('an ID card on a side that takes only tickets waits for the ticket, and is its support', async (t) => {
  const first = pairPresentation(input({ presented: { credential: chip, receivedAt: 3 } }));
  t.same(first, { t: 'hold', held: { credential: chip, receivedAt: 3, expiresAt: 21_000 }, waitingFor: 'ticket' });
  if (first.t !== 'hold') return;
  t.same(pairPresentation(input({ held: first.held, presented: { credential: ticket, receivedAt: 9 } })), {
    t: 'decide',
    credential: ticket,
    supporting: [chip],
    receivedAt: 3,
    held: undefined,
  });
});

t.test('an ID card the side takes by itself, or on a side that takes no tickets, is decided alone', async (t) => {
  t.match(
    pairPresentation(input({ presented: { credential: qr, receivedAt: 1 }, side: side(['ticket', 'cccd-qr']) })),
    {
      t: 'decide',
      credential: qr,
    },
  );
  t.match(pairPresentation(input({ presented: { credential: qr, receivedAt: 1 }, side: side(['chip']) })), {
    t: 'decide',
    credential: qr,
  });
});

t.test('a held credential past its window pairs with nothing', async (t) => {
  const held: HeldPresentation = { credential: ticket, receivedAt: 10, expiresAt: 1000 };
  t.ok(holdExpired(held, 1000));
  t.notOk(holdExpired(held, 999));
  t.notOk(holdExpired(undefined, 5000));
  const p = pairPresentation(input({ held, presented: { credential: qr, receivedAt: 20 }, now: 1000 }));
  t.match(p, { t: 'hold', waitingFor: 'ticket' });
});

t.test('two of the same kind do not pair: the one decided alone leaves the held one waiting', async (t) => {
  const held: HeldPresentation = { credential: ticket, receivedAt: 10, expiresAt: 21_000 };
  t.same(pairPresentation(input({ held, presented: { credential: ticket, receivedAt: 20 } })), {
    t: 'decide',
    credential: ticket,
    receivedAt: 20,
    held,
  });
});
