// The JSON nesting scan that runs before JSON.parse on every body: it must agree with the parser's own view of
// depth on real JSON, and never throw or loop on arbitrary bytes.
import fc from 'fast-check';
import t from 'tap';
import { jsonNestingDepth } from '../../../gateway/http/json-body.js';

/** The depth of a parsed value, the way the scan counts it: objects and arrays, scalars are 0. */
const depthOf = (v: unknown): number =>
  v !== null && typeof v === 'object'
    ? 1 + Math.max(0, ...Object.values(v as Record<string, unknown>).map(depthOf))
    : 0;

t.test('on any JSON value, the scan finds the depth the parsed value has', async (t) => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 12 }), (value) => {
      const text = JSON.stringify(value);
      return jsonNestingDepth(text) === depthOf(value);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

t.test('brackets and escaped quotes inside strings do not count', async (t) => {
  t.equal(jsonNestingDepth(JSON.stringify({ a: '[[[{{{', b: 'say \\"[[[\\"', c: ['"]]]'] })), 2);
});

t.test('the scan stops as soon as the limit is passed', async (t) => {
  t.equal(jsonNestingDepth('['.repeat(1_000_000), 32), 33);
});

t.test('arbitrary text never throws and gives a depth no larger than its opening brackets', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ',', ':') }), (text) => {
      const d = jsonNestingDepth(text);
      const opens = [...text].filter((c) => c === '[' || c === '{').length;
      return Number.isInteger(d) && d >= 0 && d <= opens;
    }),
    { numRuns: 2000 },
  );
  t.pass();
});
