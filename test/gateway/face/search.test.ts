import fc from 'fast-check';
import t from 'tap';
import { TemplateIndex } from '../../../gateway/face/search.js';
import { cosineSimilarity } from '../../../gateway/face/vectors.js';

const vec = (seed: number, dims = 512): Float32Array =>
  Float32Array.from({ length: dims }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233));

t.test('search returns the most similar templates best first, scores as cosine similarity', async (t) => {
  const index = new TemplateIndex();
  for (let i = 0; i < 50; i++) index.add(`p${i}`, vec(i));
  const hits = index.search(vec(7), 3);
  t.equal(hits.length, 3);
  t.equal(hits[0].id, 'p7');
  t.ok(Math.abs(hits[0].score - 1) < 1e-5);
  t.ok(hits[0].score >= hits[1].score && hits[1].score >= hits[2].score);
  t.ok(Math.abs(hits[1].score - cosineSimilarity(vec(7), vec(Number(hits[1].id.slice(1))))) < 1e-5);
});

t.test('adding an existing id replaces its template; remove keeps the rest searchable', async (t) => {
  const index = new TemplateIndex(512, 1);
  index.add('a', vec(1));
  index.add('b', vec(2));
  index.add('c', vec(3));
  index.add('a', vec(9));
  t.equal(index.size, 3);
  t.equal(index.search(vec(9), 1)[0].id, 'a');
  t.ok(index.remove('a'));
  t.notOk(index.remove('a'));
  t.equal(index.size, 2);
  t.equal(index.search(vec(3), 1)[0].id, 'c');
  t.equal(index.search(vec(2), 1)[0].id, 'b');
});

t.test('wrong-sized or non-finite templates are refused', async (t) => {
  const index = new TemplateIndex();
  t.throws(() => index.add('x', new Float32Array(10)), RangeError);
  t.throws(() => index.add('x', new Float32Array(512).fill(Number.NaN)), RangeError);
  t.throws(() => index.search(new Float32Array(3)), RangeError);
  t.same(index.search(vec(1), 5), [], 'empty index finds nothing');
});

t.test('top-K equals a brute-force ranking for any set of templates', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 10 }), fc.integer(), (n, k, q) => {
      const index = new TemplateIndex(16, 2);
      const all = Array.from({ length: n }, (_, i) => ({ id: `id${i}`, v: vec(i * 31 + 1, 16) }));
      for (const { id, v } of all) index.add(id, v);
      const query = vec(q, 16);
      const expected = all
        .map(({ id, v }) => ({ id, score: cosineSimilarity(query, v) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, k);
      const got = index.search(query, k);
      return got.length === expected.length && got.every((h, i) => Math.abs(h.score - expected[i].score) < 1e-5);
    }),
  );
});
