// CPU time of one ICAO 9303 chip session in process: PACE-CAN + Chip Authentication + EF.COM, DG14, SOD,
// DG1 and DG13 against the simulated CCCD chip. The chip's own work (its half of PACE, CA and SM) runs in the
// same thread, so the figure is an upper bound for the gate's share. Prints the median and p90 over the runs,
// with the APDU count and bytes of one session.
//   node --import tsx bench/chip-session.ts [runs]
import { cpuUsage } from 'node:process';
import { readChip } from '../drivers/chip-pcsc/icao/index.js';
import { CccdChip } from '../sim/cards/cccd-chip/cccd-chip.js';
import { InProcessCardChannel } from '../sim/cards/cccd-chip/in-process-channel.js';
import { makeChipCard } from '../sim/cards/make-chip-card.js';
import { NGUYEN_VAN_A } from '../sim/cards/people.js';

const runs = Number(process.argv[2] ?? 50);
const WARM_UP = 5;
const card = await makeChipCard({ person: NGUYEN_VAN_A });

const cpuMs: number[] = [];
let last: Awaited<ReturnType<typeof readChip>> | undefined;
for (let i = 0; i < runs + WARM_UP; i++) {
  const channel = new InProcessCardChannel(new CccdChip(card), { extendedLength: true });
  const before = cpuUsage();
  last = await readChip(channel, { can: card.can, dataGroups: [1, 13] });
  const used = cpuUsage(before);
  if (!last.ok) throw new Error(`session failed: ${last.reason} ${last.detail}`);
  if (i >= WARM_UP) cpuMs.push((used.user + used.system) / 1000);
}
cpuMs.sort((a, b) => a - b);
const at = (q: number) => cpuMs[Math.min(cpuMs.length - 1, Math.floor(q * cpuMs.length))];
const metrics = last?.ok ? last.value.metrics : undefined;
console.log(
  JSON.stringify({
    bench: 'chip-session',
    what: 'PACE-CAN (brainpoolP256r1) + CA + COM/DG14/SOD/DG1/DG13, terminal and simulated chip in one thread',
    runs,
    cpuMsMedian: Number(at(0.5).toFixed(2)),
    cpuMsP90: Number(at(0.9).toFixed(2)),
    apdus: metrics?.apdus,
    bytesSent: metrics?.bytesSent,
    bytesReceived: metrics?.bytesReceived,
    stepMsLastRun: metrics?.stepMs,
  }),
);
