// The program the child process runs: the only code that touches the native PC/SC binding. Kept as plain
// CommonJS evaluated by `node -e` (as the event store's checkpointer does for its worker) so the same child
// runs from the TypeScript sources and from dist/, and starts in tens of milliseconds without tsx.
// It speaks the frames of protocol.ts on stdin (from the parent) and stdout (to the parent); its stderr is
// read by the parent for its log. It exits when stdin closes, so a dead parent leaves no orphan.
//
// Exit codes the parent reads: 0 parent gone; 3 pcscd unusable (the parent retries with backoff).
export const CHILD_EXIT_PCSC_UNUSABLE = 3;

export const CHILD_SOURCE = `
'use strict';
(function main() {
const MAX_FRAME_BYTES = ${256 * 1024};
const smartcardPath = process.argv[1];
let sendFailed = false;
function send(message) {
  if (sendFailed) return;
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, 4);
  process.stdout.write(frame);
}
process.stdout.on('error', () => { sendFailed = true; process.exit(0); });
const text = (err) => String((err && err.message) || err).slice(0, 480);

let smartcard;
try {
  smartcard = require(smartcardPath);
} catch (err) {
  send({ t: 'unavailable', message: text(err) });
  // Let the frame drain before the process goes.
  process.stdout.end(() => process.exit(0));
  return;
}

const cards = new Map(); // reader name -> { seq, card }
let nextCardSeq = 1;
const devices = new smartcard.Devices();
let started = false;
const serviceGone = (message) => /service (not running|stopped)|no service/i.test(message);

devices.on('reader-attached', (reader) => send({ t: 'reader-attached', reader: String(reader.name) }));
devices.on('reader-detached', (reader) => {
  cards.delete(String(reader.name));
  send({ t: 'reader-detached', reader: String(reader.name) });
});
devices.on('card-inserted', ({ reader, card }) => {
  const seq = nextCardSeq++;
  const name = String(reader.name);
  cards.set(name, { seq, card });
  const atr = reader.atr || card.atr || Buffer.alloc(0);
  send({ t: 'card-inserted', reader: name, card: seq, atr: Buffer.from(atr).toString('base64') });
});
devices.on('card-removed', ({ reader }) => {
  const name = String(reader.name);
  const entry = cards.get(name);
  cards.delete(name);
  if (entry) send({ t: 'card-removed', reader: name, card: entry.seq });
});
devices.on('error', (err) => {
  const message = text(err);
  send({ t: 'error', message });
  // Without pcscd the monitor is dead; a fresh child (after the parent's backoff) is the way back.
  if (!started || serviceGone(message)) process.stdout.end(() => process.exit(${CHILD_EXIT_PCSC_UNUSABLE}));
});

function onParentMessage(message) {
  if (!message || message.t !== 'transmit' || !Number.isSafeInteger(message.id)) return;
  const entry = cards.get(String(message.reader));
  if (!entry || entry.seq !== message.card) {
    send({ t: 'failed', id: message.id, message: 'Card was removed' });
    return;
  }
  let apdu;
  try {
    apdu = Buffer.from(String(message.apdu), 'base64');
  } catch (err) {
    send({ t: 'failed', id: message.id, message: 'Invalid parameter' });
    return;
  }
  entry.card.transmit(apdu, { maxRecvLength: message.maxRecvLength }).then(
    (response) => send({ t: 'reply', id: message.id, data: Buffer.from(response).toString('base64') }),
    (err) => send({ t: 'failed', id: message.id, message: text(err) }),
  );
}

let pending = Buffer.alloc(0);
process.stdin.on('data', (bytes) => {
  pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
  while (pending.length >= 4) {
    const length = pending.readUInt32BE(0);
    if (length > MAX_FRAME_BYTES) process.exit(2);
    if (pending.length < 4 + length) break;
    const body = pending.subarray(4, 4 + length);
    pending = pending.subarray(4 + length);
    let message;
    try { message = JSON.parse(body.toString('utf8')); } catch { continue; }
    onParentMessage(message);
  }
});
process.stdin.on('end', () => { try { devices.stop(); } catch {} process.exit(0); });

let startFailed = false;
devices.once('error', () => { if (!started) startFailed = true; });
devices.start();
started = true;
if (!startFailed) send({ t: 'ready' });
})();
`;
