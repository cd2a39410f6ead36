// The import rule of `npm run lint` (issue #12): each forbidden direction fails naming the file and the
// import, imports split over lines and dynamic imports are read too, and the real repository passes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { checkImports, readSourceTree, type SourceText, storeHandleUses } from '../../scripts/check-imports.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const one = (path: string, text: string): SourceText[] => [{ path, text }];

const forbidden: Array<[string, string, string]> = [
  ['contracts/topics.ts', "import { ok } from '../gateway/reasons.js';", 'contracts/ imports only itself'],
  ['contracts/x.ts', "import { parse } from '../drivers/qr-scanner/codec.js';", 'contracts/ imports only itself'],
  ['drivers/qr-scanner/codec.ts', "import type { LinkState } from '../../gateway/events.js';", 'drivers/ may not'],
  ['drivers/serial/link.ts', "import { SimRig } from '../../sim/rig.js';", 'drivers/ may not'],
  ['drivers/device.ts', "import { x } from '../collector/validate.js';", 'drivers/ may not'],
  [
    'collector/ingest.ts',
    "import { loadConfig } from '../gateway/config/load.js';",
    'collector/ may not import gateway/',
  ],
  ['sim/rig.ts', "import { until } from '../test/helpers/harness.js';", 'nothing outside test/ imports test/'],
  ['bench/icao.ts', "import * as b from '../test/fixtures/icao/build.js';", 'nothing outside test/ imports test/'],
  ['gateway/face/models.ts', "import { ensureModels } from '../../models/fetch-models.js';", 'never import tooling'],
  ['gateway/gateway.ts', "import { SimRig } from '../sim/rig.js';", 'never import tooling'],
  ['collector/main.ts', "import { bench } from '../bench/run.js';", 'never import tooling'],
  ['gateway/compose.ts', "import { main } from '../cli/main.js';", 'never import tooling'],
  ['gateway/face/pipeline.ts', "import { loadDataset } from '../../face-eval/dataset.js';", 'never import tooling'],
];

for (const [file, line, rule] of forbidden) {
  t.test(`${file} may not say: ${line}`, async (t) => {
    const found = checkImports(one(file, line));
    t.equal(found.length, 1);
    t.equal(found[0]?.file, file);
    t.match(found[0]?.rule, rule);
  });
}

t.test('imports that point down or sideways within a layer pass', async (t) => {
  const allowed: SourceText[] = [
    { path: 'contracts/publication-signature.ts', text: "import { ok } from './result.js';\nimport z from 'zod';" },
    { path: 'drivers/qr-scanner/codec.ts', text: "import { fail } from '../../contracts/result.js';" },
    { path: 'drivers/turnstile/adapter.ts', text: "import type { DeviceTimings } from '../device.js';" },
    { path: 'collector/validate.ts', text: "import { GateTopics } from '../contracts/topics.js';" },
    { path: 'gateway/config/schema.ts', text: "import { SerialPortConfig } from '../../drivers/serial/config.js';" },
    { path: 'gateway/face/models.ts', text: "import { checkModelFiles } from './model-files.js';" },
    { path: 'bench/verify-rate.ts', text: "import { startDaemon } from '../sim/daemon.js';" },
    { path: 'cli/face.ts', text: "import { ensureModels } from '../models/fetch-models.js';" },
    { path: 'test/e2e/daemon.test.ts', text: "import { until } from '../helpers/harness.js';" },
    { path: 'models/fetch-models.ts', text: "import { sha256 } from '../gateway/face/model-files.js';" },
  ];
  t.same(checkImports(allowed), []);
});

t.test('an import over several lines, a re-export, a dynamic import() and require() are all read', async (t) => {
  const text = [
    'import {',
    '  loadConfig,',
    '  type LoadResult,',
    "} from '../gateway/config/load.js';",
    "export { GateTopics } from '../gateway/telemetry/topics.js';",
    "const lazy = await import('../gateway/gateway.js');",
    "const old = require('../gateway/reasons.js');",
  ].join('\n');
  const found = checkImports(one('collector/main.ts', text));
  t.same(
    found.map((v) => v.specifier),
    ['../gateway/config/load.js', '../gateway/telemetry/topics.js', '../gateway/gateway.js', '../gateway/reasons.js'],
  );
});

t.test('the same words in a comment or a string that is not an import do not count', async (t) => {
  const text = "// see ../gateway/reasons.ts\nconst hint = '../gateway/reasons.js';\n";
  t.same(checkImports(one('collector/main.ts', text)), []);
});

t.test('the script fails on a tree with a planted forbidden import, naming file and import', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gate06-imports-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const plant = (path: string, text: string): void => {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  plant('contracts/result.ts', 'export const ok = 1;\n');
  plant('drivers/device.ts', "import { ok } from '../contracts/result.js';\n");
  const clean = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/check-imports.ts'), root], {
    encoding: 'utf8',
  });
  t.equal(clean.status, 0, clean.stderr);

  plant('drivers/camera/link-health.ts', "import type {\n  LinkState,\n} from '../../gateway/events.js';\n");
  const planted = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/check-imports.ts'), root], {
    encoding: 'utf8',
  });
  t.equal(planted.status, 1);
  t.match(planted.stderr, "drivers/camera/link-health.ts: imports '../../gateway/events.js'");
});

t.test('the repository itself keeps the rule', async (t) => {
  const files = readSourceTree(ROOT);
  const violations = checkImports(files);
  t.same(
    violations.map((v) => `${v.file} -> ${v.specifier}`),
    [],
  );
  t.same(
    storeHandleUses(files).map((u) => `${u.file}:${u.line} ${u.expression}`),
    [],
    'nothing outside gateway/store/ touches the database',
  );
});

const handleUses: Array<[string, string, string]> = [
  [
    'gateway/http/security-routes.ts',
    "const rows = core.store.db.prepare('SELECT id FROM events').all();",
    'core.store.db',
  ],
  ['gateway/lane/decision-service.ts', 'const db = this.deps.store.db;', 'this.deps.store.db'],
  ['cli/log.ts', 'store.db.close();', 'store.db'],
  ['gateway/telemetry/telemetry.ts', 'statfs(dirname(eventStore!.db.name));', 'eventStore!.db'],
  ['gateway/gateway.ts', 'const raw = store.database.handle;', 'store.database.handle'],
];

for (const [file, line, expression] of handleUses) {
  t.test(`${file} may not touch the store database: ${line}`, async (t) => {
    const found = storeHandleUses(one(file, line));
    t.equal(found.length, 1);
    t.equal(found[0]?.expression, expression);
    t.match(found[0]?.rule, 'only gateway/store/ touches the database');
  });
}

t.test('gateway/ and cli/ outside gateway/store/ may not import better-sqlite3', async (t) => {
  for (const file of ['gateway/face/enrollment.ts', 'cli/enroll.ts']) {
    const found = checkImports(one(file, "import Database from 'better-sqlite3';"));
    t.equal(found.length, 1, file);
    t.match(found[0]?.rule, 'only gateway/store/ touches the database');
  }
  t.same(checkImports(one('gateway/store/database.ts', "import Database from 'better-sqlite3';")), []);
  t.same(checkImports(one('collector/storage/sqlite.ts', "import Database from 'better-sqlite3';")), []);
});

t.test(
  'the store modules themselves and the tests may use the handle; other names and comments do not count',
  async (t) => {
    const allowed: SourceText[] = [
      { path: 'gateway/store/event-log.ts', text: 'this.db.handle.prepare(sql);' },
      { path: 'test/gateway/store/event-store.test.ts', text: "store.db.prepare('DELETE FROM events').run();" },
      { path: 'collector/storage/sqlite.ts', text: 'this.db.prepare(sql);' },
      { path: 'gateway/http/x.ts', text: '// core.store.db is gone\nconst s = "store.db";\nconst p = store.path;' },
    ];
    t.same(storeHandleUses(allowed), []);
  },
);

t.test('the script fails on a planted use of the store database, naming file and line', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gate06-store-handle-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'gateway/http'), { recursive: true });
  writeFileSync(
    join(root, 'gateway/http/routes.ts'),
    "const x = 1;\nconst n = core.store.db.prepare('SELECT 1').get();\n",
  );
  const planted = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/check-imports.ts'), root], {
    encoding: 'utf8',
  });
  t.equal(planted.status, 1);
  t.match(planted.stderr, "gateway/http/routes.ts:2: uses 'core.store.db'");
});
