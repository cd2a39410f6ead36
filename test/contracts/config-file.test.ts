// The contract layer's config reading, shared by the gate and the collector: any bytes in a config file
// come back as a value (a config or lines naming the problem), never as an exception.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { z } from 'zod';
import { parseConfig, readYaml } from '../../contracts/config-file.js';
import { resolveSecret } from '../../contracts/secrets.js';

const dir = mkdtempSync(join(tmpdir(), 'gate06-config-file-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('any bytes in a config file give a value or error lines, never an exception', async () => {
  const file = join(dir, 'any.yaml');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      writeFileSync(file, bytes);
      const read = readYaml(file);
      return read.ok || (read.problems.length > 0 && read.problems.every((e) => typeof e === 'string' && e.length > 0));
    }),
    { numRuns: 300 },
  );
});

t.test('a duplicate key is a YAML error naming its line', async (t) => {
  const file = join(dir, 'dup.yaml');
  writeFileSync(file, 'a: 1\nb: 2\na: 3\n');
  t.match(readYaml(file), { ok: false, problems: [/^\(yaml\) line .*: Map keys must be unique/] });
});

t.test('an alias bomb is refused rather than expanded', async (t) => {
  const file = join(dir, 'bomb.yaml');
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  writeFileSync(file, `${lines.join('\n')}\n`);
  t.match(readYaml(file), { ok: false, problems: [/^\(yaml\): .*alias/i] });
});

t.test('a missing file is one line naming it', async (t) => {
  const line = `(file): cannot read ${join(dir, 'nope.yaml')}: ENOENT`;
  t.same(readYaml(join(dir, 'nope.yaml')), { ok: false, reason: 'config.unreadable', detail: line, problems: [line] });
});

t.test('schema errors name the key, one line each', async (t) => {
  const schema = z.object({ mqtt: z.object({ url: z.string(), port: z.number() }).strict() }).strict();
  const parsed = parseConfig(schema, { mqtt: { url: 1, port: 'x' } });
  t.equal(parsed.ok, false);
  if (!parsed.ok) t.match(parsed.problems, [/^mqtt\.url: /, /^mqtt\.port: /]);
});

t.test('a secret names an env variable or a file; a missing one is a SecretError naming it', async (t) => {
  const file = join(dir, 'secret');
  writeFileSync(file, 'from-a-file\n');
  t.equal(resolveSecret({ file }).toString(), 'from-a-file');
  t.throws(() => resolveSecret({ env: 'GATE06_TEST_SECRET_THAT_IS_NOT_SET' }), {
    message: 'environment variable GATE06_TEST_SECRET_THAT_IS_NOT_SET is not set',
  });
  t.throws(() => resolveSecret({ file: join(dir, 'absent') }), /cannot read secret file .*absent: ENOENT/);
});
