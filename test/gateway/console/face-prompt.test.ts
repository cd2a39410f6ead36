// The blink prompt reaches the console without a browser: the face check's face.prompt on the bus goes out on
// the operator's live stream as `face-prompt`, and the lane card's words are Vietnamese first, then English.
import t from 'tap';
import { inWords, PROMPT_WORDS } from '../../../gateway/console/public/words.js';
import { ApiClient, type Harness, PASSWORDS, startHarness } from './harness.js';

let h: Harness;
t.before(async () => {
  h = await startHarness();
});
t.teardown(() => h.stop());

/** Reads the live stream until an event of `name` arrives; its data, parsed. */
async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, name: string): Promise<unknown> {
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before a ${name} event`);
    text += Buffer.from(value).toString();
    const m = new RegExp(`event: ${name}\\ndata: (.*)\\n\\n`).exec(text);
    if (m) return JSON.parse(m[1]!);
  }
}

t.test('a face prompt on the bus goes out on the live stream as face-prompt, then its end', async (t) => {
  const c = new ApiClient(h.url);
  await c.login('op', PASSWORDS.op);
  const res = await c.fetch('/v1/live');
  const reader = res.body!.getReader();
  t.teardown(() => reader.cancel());
  await nextEvent(reader, 'hello');
  const ts = Date.now();
  h.gw.core.bus.emit('face.prompt', { lane: 'L1', direction: 'in', step: 'blink', ts });
  t.same(await nextEvent(reader, 'face-prompt'), { lane: 'L1', direction: 'in', step: 'blink', ts });
  h.gw.core.bus.emit('face.prompt', { lane: 'L1', direction: 'in', step: 'done', ts: ts + 1 });
  t.match(await nextEvent(reader, 'face-prompt'), { lane: 'L1', step: 'done' });
});

t.test('the lane card asks the person to blink in Vietnamese first, then English', async (t) => {
  // face.js facePromptWords(step) reads this entry for step `blink`.
  t.equal(inWords(PROMPT_WORDS, 'face.blink'), 'Xin hãy chớp mắt · Please blink');
});
