// CPU per CCCD chip session, in process: PACE-CAN (brainpoolP256r1) + Chip Authentication + EF.COM, DG14,
// EF.SOD, DG1 and DG13 against the simulated CCCD chip, then passive authentication of what was read (trust
// store loaded once, as in the daemon). The simulated chip runs in the same thread; the CPU its process()
// calls use is measured apart and subtracted, so "host" is the gate's share, the figure the target is for.
// Also the APDU count and bytes of one session, through an extended-length reader (ACR1252U, Omnikey 5022)
// and a short-APDU one (ACR122U), and what they would cost on the radio link.
//   node --import tsx bench/chip-session.ts [runs]
// Prints JSON and writes bench/results/chip-session.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { cpuUsage } from 'node:process';
import type { CardBehaviour } from '../drivers/chip-pcsc/card-channel.js';
import { readChip } from '../drivers/chip-pcsc/icao/index.js';
import { passiveAuthenticate } from '../gateway/credentials/icao/passive-auth.js';
import { loadTrustStore } from '../gateway/credentials/icao/trust-store.js';
import { CccdChip } from '../sim/cards/cccd-chip/cccd-chip.js';
import { InProcessCardChannel } from '../sim/cards/cccd-chip/in-process-channel.js';
import { makeChipCard } from '../sim/cards/make-chip-card.js';
import { NGUYEN_VAN_A } from '../sim/cards/people.js';
import { SEED_PKI_DIR } from '../sim/cards/test-pki.js';

const runs = Number(process.argv[2] ?? 100);
const WARM_UP = 5;
const DATA_GROUPS = [1, 13];
/** DESIGN.md: the gate's CPU per chip session, median. */
const TARGET_HOST_MS_MEDIAN = 60;
/** ISO/IEC 14443 bit rates a CCCD and the readers of docs/chip.md negotiate. */
const RADIO_KBITS = [106, 212, 424];
/**
 * Per-APDU overhead assumed for the radio table (not measured): 6 bytes of ISO 14443-4 block framing (PCB and
 * CRC_A each way) at the bit rate, plus 1 ms for the reader's USB CCID round trip and the frame delay times.
 */
const FRAME_BYTES_PER_APDU = 6;
const FIXED_MS_PER_APDU = 1;

const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** The simulated chip with a meter on it: CPU spent inside process(), which a real card does on its own chip. */
class MeteredChip implements CardBehaviour {
  chipCpuMs = 0;
  constructor(private readonly chip: CccdChip) {}
  get atr(): Uint8Array {
    return this.chip.atr;
  }
  powerOn(): void {
    this.chip.powerOn();
  }
  powerOff(): void {
    this.chip.powerOff();
  }
  reset(): void {
    this.chip.reset();
  }
  process(apdu: Uint8Array): Uint8Array {
    const before = cpuUsage();
    try {
      return this.chip.process(apdu);
    } finally {
      this.chipCpuMs += cpuMs(before);
    }
  }
}

const card = await makeChipCard({ person: NGUYEN_VAN_A });
const trust = await loadTrustStore(`${SEED_PKI_DIR}csca.cert.pem`);
if (!trust.ok) throw new Error(`test CSCA: ${trust.detail}`);
const trustStore = trust.value;

interface Sample {
  totalMs: number;
  chipMs: number;
  hostSessionMs: number;
  passiveMs: number;
  hostMs: number;
}

async function oneSession(extendedLength: boolean) {
  const chip = new MeteredChip(new CccdChip(card));
  const channel = new InProcessCardChannel(chip, { extendedLength });
  const started = cpuUsage();
  const outcome = await readChip(channel, { can: card.can, dataGroups: DATA_GROUPS });
  const sessionMs = cpuMs(started);
  if (!outcome.ok) throw new Error(`session failed: ${outcome.reason} ${outcome.detail}`);
  const beforePassive = cpuUsage();
  const passive = passiveAuthenticate({
    sod: Buffer.from(outcome.value.sod),
    dataGroups: new Map([...outcome.value.dataGroups].map(([n, bytes]) => [n, Buffer.from(bytes)])),
    trust: trustStore,
    at: new Date(),
  });
  const passiveMs = cpuMs(beforePassive);
  if (!passive.ok) throw new Error(`passive authentication failed: ${passive.failure}`);
  const hostSessionMs = sessionMs - chip.chipCpuMs;
  const sample: Sample = {
    totalMs: sessionMs + passiveMs,
    chipMs: chip.chipCpuMs,
    hostSessionMs,
    passiveMs,
    hostMs: hostSessionMs + passiveMs,
  };
  return { sample, metrics: outcome.value.metrics, dataGroups: [...outcome.value.dataGroups.keys()] };
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

const samples: Sample[] = [];
let last: Awaited<ReturnType<typeof oneSession>> | undefined;
for (let i = 0; i < runs + WARM_UP; i++) {
  last = await oneSession(true);
  if (i >= WARM_UP) samples.push(last.sample);
}
const shortReader = await oneSession(false);

const summary = (key: keyof Sample) => ({
  median: round2(
    quantile(
      samples.map((s) => s[key]),
      0.5,
    ),
  ),
  p90: round2(
    quantile(
      samples.map((s) => s[key]),
      0.9,
    ),
  ),
});

function transfer(label: string, metrics: NonNullable<typeof last>['metrics']) {
  const bytes = metrics.bytesSent + metrics.bytesReceived;
  return {
    reader: label,
    apdus: metrics.apdus,
    bytesSent: metrics.bytesSent,
    bytesReceived: metrics.bytesReceived,
    radioMs: Object.fromEntries(
      RADIO_KBITS.map((kbit) => [
        `${kbit}kbit`,
        round2(((bytes + FRAME_BYTES_PER_APDU * metrics.apdus) * 8) / kbit + FIXED_MS_PER_APDU * metrics.apdus),
      ]),
    ),
  };
}

const host = summary('hostMs');
const out = {
  bench: 'chip-session',
  command: `node --import tsx bench/chip-session.ts ${runs}`,
  what: 'PACE-CAN (brainpoolP256r1, AES-128) + CA + COM/DG14/SOD/DG1/DG13 + passive authentication, simulated CCCD chip in the same thread',
  runs,
  dataGroupsRead: last?.dataGroups,
  cpuMs: {
    host,
    hostSession: summary('hostSessionMs'),
    hostPassiveAuthentication: summary('passiveMs'),
    simulatedChip: summary('chipMs'),
    total: summary('totalMs'),
  },
  targetHostMsMedian: TARGET_HOST_MS_MEDIAN,
  pass: host.median <= TARGET_HOST_MS_MEDIAN,
  transfer: [
    transfer('extended length (ACR1252U, Omnikey 5022/5422)', last!.metrics),
    transfer('short APDUs only (ACR122U)', shortReader.metrics),
  ],
  radioModel: `(bytes sent + received + ${FRAME_BYTES_PER_APDU} framing bytes per APDU) x 8 / bit rate + ${FIXED_MS_PER_APDU} ms per APDU; the card's own processing time is not included`,
  machine: {
    date: new Date().toISOString(),
    node: process.version,
    cpu: os.cpus()[0]?.model,
    cores: os.cpus().length,
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
  },
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/chip-session.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out));
