// gate06 chip read's arguments: refused with exit 2 and one line on stderr that never quotes the CAN or the
// MRZ key. No reader is needed for these (the reads themselves are in test/e2e/chip-read.test.ts).
import t from 'tap';
import { run } from '../../cli/chip.js';

async function capture(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (s: string) => out.push(String(s));
  console.error = (s: string) => err.push(String(s));
  try {
    return { code: await run(argv), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

t.test('--help lists every exit code', async (t) => {
  const r = await capture(['read', '--help']);
  t.equal(r.code, 0);
  for (const code of [0, 1, 2, 3, 4, 5, 6, 7]) t.match(r.out[0], new RegExp(`\\n  ${code}  `), `exit ${code}`);
});

const refusals: [string, string[], RegExp][] = [
  ['no reader', ['read', '--can', '123456'], /--reader is required/],
  ['no key', ['read', '--reader', 'R'], /--can or --mrz is required/],
  ['a CAN of 5 digits', ['read', '--reader', 'R', '--can', '12345'], /--can must be the 6 digits/],
  ['a CAN with letters', ['read', '--reader', 'R', '--can', '12345x'], /--can must be the 6 digits/],
  ['an MRZ key without dates', ['read', '--reader', 'R', '--mrz', '099012345'], /--mrz must be DOCNO,YYMMDD,YYMMDD/],
  ['an MRZ date that is not one', ['read', '--reader', 'R', '--mrz', '099012345,991301,390101'], /YYMMDD/],
  ['a bad reader regex', ['read', '--reader', '/ACS (/', '--can', '123456'], /--reader: /],
  ['a data group out of range', ['read', '--reader', 'R', '--can', '123456', '--data-groups', '1,17'], /1\.\.16/],
  [
    'a trust store that is not there',
    ['read', '--reader', 'R', '--can', '123456', '--trust', '/nonexistent'],
    /--trust/,
  ],
  ['a stray argument', ['read', '--reader', 'R', '--can', '123456', '654321'], /Unexpected argument/],
  ['an unknown subcommand', ['write'], /unknown subcommand/],
];

for (const [what, argv, message] of refusals) {
  t.test(`${what}: exit 2 with one line that does not quote the key`, async (t) => {
    const r = await capture(argv);
    t.equal(r.code, 2);
    t.equal(r.out.length, 0, 'nothing on stdout');
    t.equal(r.err.length, 1);
    t.equal(r.err[0]!.split('\n').length, 1, 'one line');
    t.match(r.err[0], message);
    for (const secret of ['123456', '12345', '654321', '099012345', '991301']) t.notMatch(r.err[0], secret);
  });
}
