// Writes one JSON Schema per gate topic into docs/mqtt/, from the topic maps (contracts/topics.ts), so IOC
// integrators validate against exactly what the gateway and the collector use. A telemetry topic is published
// as the collector accepts it (AcceptedTopics): an integrator, like the collector, must take what a gate of a
// later release sends.
//   node --import tsx scripts/gen-mqtt-schemas.ts           write the files
//   node --import tsx scripts/gen-mqtt-schemas.ts --check   exit 1 if a file is missing or stale (CI)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AcceptedTopics, type GateTopic, GateTopics, isAcceptedTopic, TOPIC_ROOT } from '../contracts/topics.js';

const outDir = fileURLToPath(new URL('../docs/mqtt/', import.meta.url));

export const schemaFileFor = (topic: GateTopic): string => `${topic.replace('/', '.')}.schema.json`;

export function schemaFor(topic: GateTopic): string {
  const published = isAcceptedTopic(topic) ? AcceptedTopics[topic] : GateTopics[topic];
  const schema = z.toJSONSchema(published, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' });
  const doc = {
    $id: `https://gate06.example/mqtt/${schemaFileFor(topic)}`,
    title: `${TOPIC_ROOT}/{site}/{gate}/${topic}`,
    ...schema,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function main(): number {
  const check = process.argv.includes('--check');
  mkdirSync(outDir, { recursive: true });
  let stale = 0;
  for (const topic of Object.keys(GateTopics) as GateTopic[]) {
    const path = join(outDir, schemaFileFor(topic));
    const text = schemaFor(topic);
    if (check) {
      let current = '';
      try {
        current = readFileSync(path, 'utf8');
      } catch {}
      if (current !== text) {
        console.error(`stale: docs/mqtt/${schemaFileFor(topic)}`);
        stale++;
      }
    } else {
      writeFileSync(path, text);
      console.log(`wrote docs/mqtt/${schemaFileFor(topic)}`);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(main());
