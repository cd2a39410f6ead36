import t from 'tap';
import { CardAssembler } from '../../../drivers/chip-reader/reassembly.js';

const chunk = (readId: number, offset: number, data: string, final = false) => ({
  readId,
  offset,
  final,
  data: Buffer.from(data),
});

t.test('chunks in order are joined into one body when the final one arrives', async (t) => {
  const a = new CardAssembler();
  a.start(7);
  t.same(a.add(chunk(7, 0, 'abc')), { kind: 'more' });
  const done = a.add(chunk(7, 3, 'def', true));
  t.equal(done.kind, 'complete');
  if (done.kind === 'complete') t.equal(done.body.toString(), 'abcdef');
  t.equal(a.activeReadId, undefined);
});

t.test('a chunk at the wrong offset breaks the read once; later chunks of it are ignored', async (t) => {
  const a = new CardAssembler();
  a.start(1);
  a.add(chunk(1, 0, 'abc'));
  t.equal(a.add(chunk(1, 10, 'xyz')).kind, 'broken');
  t.equal(a.add(chunk(1, 13, 'end', true)).kind, 'ignored');
});

t.test('a read broken by a lost frame never completes', async (t) => {
  const a = new CardAssembler();
  a.start(1);
  a.add(chunk(1, 0, 'abc'));
  a.breakCurrent();
  t.equal(a.add(chunk(1, 3, 'def', true)).kind, 'ignored');
});

t.test('a body growing past the card limit breaks the read as too-large', async (t) => {
  const a = new CardAssembler(5);
  a.start(1);
  const r = a.add(chunk(1, 0, 'abcdef'));
  t.same(r.kind === 'broken' ? r.reason : r.kind, 'too-large');
});

t.test('a chunk at offset 0 starts a read even when its CARD_PRESENT was lost', async (t) => {
  const a = new CardAssembler();
  t.equal(a.add(chunk(4, 0, 'all', true)).kind, 'complete');
});

t.test('a chunk in the middle of a read nobody started is ignored', async (t) => {
  const a = new CardAssembler();
  t.equal(a.add(chunk(4, 100, 'tail', true)).kind, 'ignored');
});
