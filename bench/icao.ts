// Micro-benchmark: parse + passive authentication of one card (EF.SOD + DG1 + DG2 + DG13), the work
// the gateway does per chip read. The trust store is loaded once, as in the daemon; the DS → CSCA
// check is cached per DS certificate, so "warm" is the steady state and "cold" the first card of a DS.
//   node --import tsx bench/icao.ts [iterations]
// Prints JSON and writes bench/results/icao.json.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseCertificate } from '../gateway/credentials/icao/certificate.js';
import { parseDg1 } from '../gateway/credentials/icao/dg1.js';
import { parseDg2 } from '../gateway/credentials/icao/dg2.js';
import { parseDg13 } from '../gateway/credentials/icao/dg13.js';
import { passiveAuthenticate } from '../gateway/credentials/icao/passive-auth.js';
import { parseSod } from '../gateway/credentials/icao/sod.js';
import { buildTrustStore, loadTrustStore, type TrustStore } from '../gateway/credentials/icao/trust-store.js';
import * as build from '../sim/cards/icao-build.js';

const ITERATIONS = Number(process.argv[2] ?? 500);
const AT = new Date('2025-06-01T00:00:00Z');
const FIXTURES = new URL('../test/fixtures/icao/', import.meta.url).pathname;

interface Card {
  sod: Buffer;
  dataGroups: Map<number, Buffer>;
  trust: TrustStore;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];
const round = (x: number) => Math.round(x * 1000) / 1000;

/** One gateway read: parse every DG the policy uses, then passive authentication. */
function processCard(card: Card): boolean {
  const sod = parseSod(card.sod);
  if (!sod.ok) return false;
  const dg1 = card.dataGroups.get(1);
  const dg2 = card.dataGroups.get(2);
  const dg13 = card.dataGroups.get(13);
  if (dg1 && !parseDg1(dg1).ok) return false;
  if (dg2 && !parseDg2(dg2).ok) return false;
  if (dg13 && !parseDg13(dg13).ok) return false;
  return passiveAuthenticate({ sod: sod.value, dataGroups: card.dataGroups, trust: card.trust, at: AT }).ok;
}

function measure(name: string, makeCard: () => Card) {
  const coldCard = makeCard();
  const t0 = performance.now();
  const coldOk = processCard(coldCard); // first card of its DS: includes the DS → CSCA signature check
  const cold = performance.now() - t0;
  const card = coldCard;
  for (let i = 0; i < 20; i++) processCard(card);
  const times: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const s = performance.now();
    if (!processCard(card)) throw new Error(`${name}: verification failed`);
    times.push(performance.now() - s);
  }
  const bytes = card.sod.length + [...card.dataGroups.values()].reduce((n, b) => n + b.length, 0);
  return { name, ok: coldOk, bytes, coldMs: round(cold), medianMs: round(median(times)), p95Ms: round(p95(times)) };
}

function syntheticCard(
  cscaKey: build.KeyKind,
  dsKey: build.KeyKind,
  hash: build.Hash,
  style?: build.SignatureStyle,
): () => Card {
  const csca = build.certificate({ cn: 'CSCA', key: build.keyPair(cscaKey), ca: true, hash: 'sha512' });
  const ds = build.certificate({ cn: 'DS', key: build.keyPair(dsKey), issuer: csca, serial: 2, hash: 'sha512' });
  // A ~15 KB JPEG-shaped portrait: the bytes are hashed, not decoded, on this path.
  const portrait = Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), randomBytes(15 * 1024)]);
  const dataGroups = new Map<number, Buffer>([
    [1, build.dg1('IDVNM0990123459001099012345<<0\n9901018M3901016VNM<<<<<<<<<<<0\nNGUYEN<<VAN<A<<<<<<<<<<<<<<<<<')],
    [2, build.dg2(portrait)],
    [13, readFileSync(`${FIXTURES}cccd/EF_DG13_cccd_synthetic.bin`)],
  ]);
  const sod = build.sod({ dataGroups, signer: ds, hash, style });
  const cert = parseCertificate(csca.der);
  if (!cert.ok) throw new Error('CSCA');
  // A fresh store per card builder so the cold number includes the chain check.
  return () => ({ sod, dataGroups, trust: buildTrustStore([cert.value]) });
}

async function main() {
  const trust = await loadTrustStore(`${FIXTURES}csca`);
  if (!trust.ok) throw new Error(trust.detail);
  const realSod = (c: string) => () => ({
    sod: readFileSync(`${FIXTURES}sod/EF_SOD_${c}.bin`),
    dataGroups: new Map(),
    trust: trust.value,
  });
  const results = [
    measure(
      'CCCD-like: CSCA brainpoolP512r1 explicit, DS brainpoolP256r1 explicit, SHA-256, DG1+DG2(15KB)+DG13',
      syntheticCard(
        { type: 'ec', curve: 'brainpoolP512r1', explicit: true },
        { type: 'ec', curve: 'brainpoolP256r1', explicit: true },
        'sha256',
      ),
    ),
    measure(
      'CCCD-like: CSCA brainpoolP512r1 explicit, DS brainpoolP384r1 explicit, SHA-384, DG1+DG2(15KB)+DG13',
      syntheticCard(
        { type: 'ec', curve: 'brainpoolP512r1', explicit: true },
        { type: 'ec', curve: 'brainpoolP384r1', explicit: true },
        'sha384',
      ),
    ),
    measure(
      'CSCA RSA-2048, DS RSA-2048 PSS, SHA-256, DG1+DG2(15KB)+DG13',
      syntheticCard({ type: 'rsa' }, { type: 'rsa' }, 'sha256', 'pss'),
    ),
    measure(
      'CSCA P-521, DS P-256, SHA-256, DG1+DG2(15KB)+DG13',
      syntheticCard({ type: 'ec', curve: 'secp521r1' }, { type: 'ec', curve: 'prime256v1' }, 'sha256'),
    ),
    measure('real DE SOD (brainpoolP384r1 explicit DS, brainpoolP512r1 CSCA), no DGs', realSod('DE')),
    measure('real FR SOD (RSA), no DGs', realSod('FR')),
  ];
  const out = {
    bench: 'icao',
    iterations: ITERATIONS,
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    goalMedianMs: 10,
    results,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/icao.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out));
}

await main();
