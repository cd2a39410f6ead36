import { join } from 'node:path';
import t from 'tap';
import { run } from '../../cli/icao.js';

const F = new URL('../fixtures/icao/', import.meta.url).pathname;

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

t.test('verify prints one JSON line and exits 0 for a SOD that chains to the trust folder', async (t) => {
  const r = await capture([
    'verify',
    '--sod',
    join(F, 'sod/EF_SOD_AT.bin'),
    '--trust',
    join(F, 'csca'),
    '--at',
    '2025-06-01',
  ]);
  t.equal(r.code, 0);
  t.equal(r.out.length, 1);
  const json = JSON.parse(r.out[0]);
  t.same(Object.keys(json), ['ok', 'steps', 'signer', 'csca', 'hashAlgorithm', 'dataGroups']);
  t.equal(json.ok, true);
});

t.test('verify exits 1 when the chain fails, and reports the data groups given', async (t) => {
  const b = join(F, 'bsi-tr03105');
  const r = await capture([
    'verify',
    '--sod',
    join(b, 'EF_SOD.bin'),
    '--trust',
    join(F, 'csca'),
    '--dg',
    `1=${join(b, 'EF_DG1.bin')}`,
    '--dg',
    `14=${join(b, 'EF_DG14.bin')}`,
    '--dg',
    `15=${join(b, 'EF_DG15.bin')}`,
  ]);
  t.equal(r.code, 1);
  const json = JSON.parse(r.out[0]);
  t.same([json.dataGroups['1'], json.dataGroups['14'], json.dataGroups['15']], ['match', 'match', 'not-in-sod']);
  t.equal(json.steps.signature.ok, true);
  t.equal(json.steps.chain.ok, false);
});

t.test('usage errors exit 2 and print nothing on stdout', async (t) => {
  for (const argv of [
    ['verify', '--trust', join(F, 'csca')],
    ['verify', '--sod', join(F, 'sod/EF_SOD_AT.bin')],
    ['verify', '--sod', join(F, 'sod/EF_SOD_AT.bin'), '--trust', join(F, 'csca'), '--dg', 'x'],
    ['verify', '--sod', join(F, 'sod/EF_SOD_AT.bin'), '--trust', join(F, 'csca'), '--at', 'yesterday'],
    ['verify', '--sod', '/nonexistent', '--trust', join(F, 'csca')],
    ['verify', '--bogus'],
    ['frobnicate'],
  ]) {
    const r = await capture(argv);
    t.equal(r.code, 2, argv.join(' '));
    t.equal(r.out.length, 0);
  }
});

t.test('--help prints usage and exits 0', async (t) => {
  const r = await capture(['verify', '--help']);
  t.equal(r.code, 0);
  t.match(r.out[0], /gate06 icao verify/);
});
