import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { EnrollmentStore, type FaceAnalyzer } from '../../../gateway/face/enrollment.js';
import { parseEnrollmentKey } from '../../../gateway/face/enrollment-crypto.js';
import type { FaceResult } from '../../../gateway/face/pipeline.js';
import { loadThresholds } from '../../../gateway/face/thresholds.js';
import { EventStore } from '../../../gateway/store/event-store.js';
import { fixture, loadPipeline } from '../../fixtures/liveness/models.js';

const KEY = randomBytes(32);
const consent = { version: 'v2026-01', by: 'op-7', purpose: 'staff entrance' };

/** Embeddings from photo bytes: the first byte picks the "person", the rest adds a little variation. */
function fakeAnalyzer(): FaceAnalyzer {
  return {
    async analyze(image: Buffer): Promise<FaceResult> {
      if (image[0] === 0) return { ok: false, reason: 'face.none', detail: 'no face found' };
      const person = createHash('sha256').update(String(image[0])).digest();
      const variation = createHash('sha256').update(image).digest();
      const embedding = new Float32Array(512).map((_, i) => person[i % 32] - 128 + 0.05 * (variation[i % 32] - 128));
      return { ok: true, value: { embedding, quality: { ok: true } } as never };
    },
  };
}
const photo = (person: number, variant: number): Buffer => Buffer.from([person, variant, 1, 2, 3]);

function tempDb(t: { teardown(fn: () => void): void }): { db: EventStore['db']; events: EventStore; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gate06-enroll-'));
  const path = join(dir, 'gw.db');
  const events = new EventStore({ path });
  const db = events.db;
  t.teardown(() => {
    if (db.open) events.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, events, path };
}

function store(events: EventStore, key = KEY, keyId = 'k1'): EnrollmentStore {
  return new EnrollmentStore({ repo: events.repos.enrollment, key, keyId });
}

t.test('init is idempotent', async (t) => {
  const { events } = tempDb(t);
  store(events);
  t.doesNotThrow(() => store(events));
});

t.test('an enrolled template is encrypted at rest: the database file holds no template bytes', async (t) => {
  const { db, events, path } = tempDb(t);
  const s = store(events);
  t.ok(
    (
      await s.enroll(
        { personRef: 'emp-1', label: 'Nguyễn Văn A', consent, photos: [photo(1, 1), photo(1, 2)] },
        fakeAnalyzer(),
      )
    ).ok,
  );
  const template = (s as unknown as { templates: Map<string, Float32Array> }).templates.get('emp-1')!;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = readFileSync(path);
  for (let off = 0; off < 2048; off += 256) {
    t.equal(
      bytes.indexOf(Buffer.from(template.buffer, template.byteOffset + off, 32)),
      -1,
      `template bytes ${off}.. not in the file`,
    );
  }
  t.equal(bytes.indexOf(Buffer.from('Nguyễn Văn A', 'utf8')), -1, 'label not in the file');
});

t.test('templates load back into the 1:N index after a restart', async (t) => {
  const { events } = tempDb(t);
  await store(events).enroll(
    { personRef: 'emp-1', label: 'Nguyễn Văn A', consent, photos: [photo(1, 1)] },
    fakeAnalyzer(),
  );
  const restarted = store(events);
  t.same(restarted.load(), { ok: true, value: { loaded: 1 } });
  const probe = await fakeAnalyzer().analyze(photo(1, 7));
  if (!probe.ok) throw new Error('fake analyzer failed');
  t.match(restarted.identify(probe.value.embedding, 0.9), { personRef: 'emp-1' });
  t.equal(restarted.label('emp-1'), 'Nguyễn Văn A');
});

t.test('loading with the wrong key fails clearly and loads nothing', async (t) => {
  const { events } = tempDb(t);
  await store(events).enroll({ personRef: 'emp-1', consent, photos: [photo(1, 1)] }, fakeAnalyzer());
  const wrong = store(events, randomBytes(32));
  const r = wrong.load();
  t.match(r, { ok: false, reason: 'enroll.cannot-decrypt', loaded: 0, failed: 1 });
  t.equal(wrong.size, 0);
});

t.test('a template sealed under another key id is reported with that id', async (t) => {
  const { events } = tempDb(t);
  await store(events, KEY, 'k1').enroll({ personRef: 'emp-1', consent, photos: [photo(1, 1)] }, fakeAnalyzer());
  const r = store(events, KEY, 'k2').load();
  t.match(r, { ok: false, detail: /key k1.*holds k2/ });
});

t.test('delete removes the template and logs it without the personRef', async (t) => {
  const { db, events } = tempDb(t);
  const s = store(events);
  await s.enroll({ personRef: 'emp-9', label: 'secret name', consent, photos: [photo(9, 1)] }, fakeAnalyzer());
  t.equal(s.delete('emp-9', 'op-2'), true);
  t.equal(s.size, 0);
  t.same(s.list(), []);
  t.same(s.verify('emp-9', new Float32Array(512).fill(1)), { ok: false, reason: 'face.not-enrolled' });
  const log = db.prepare('SELECT action, by, entry_tag, detail FROM enroll_log ORDER BY seq').all() as Array<
    Record<string, string>
  >;
  t.same(
    log.map((l) => l.action),
    ['enroll', 'delete'],
  );
  t.equal(log[0].entry_tag, log[1].entry_tag, 'enroll and delete pair up by tag');
  t.notMatch(JSON.stringify(log), /emp-9|secret name/);
  t.equal(s.delete('emp-9', 'op-2'), false, 'deleting twice reports unknown');
});

t.test('bad photos are rejected with their reason and the good ones are used', async (t) => {
  const { events } = tempDb(t);
  const r = await store(events).enroll(
    { personRef: 'emp-2', consent, photos: [photo(2, 1), photo(0, 0), photo(2, 3)] },
    fakeAnalyzer(),
  );
  t.match(r, { ok: true, value: { photosUsed: 2, rejected: [{ index: 1, reason: 'face.none' }] } });
});

t.test('enrollment with no usable photo fails with enroll.no-usable-photo', async (t) => {
  const { events } = tempDb(t);
  const r = await store(events).enroll({ personRef: 'emp-3', consent, photos: [photo(0, 0)] }, fakeAnalyzer());
  t.match(r, { ok: false, reason: 'enroll.no-usable-photo' });
});

t.test('two photos of different people are refused', async (t) => {
  const { events } = tempDb(t);
  const r = await store(events).enroll(
    { personRef: 'emp-4', consent, photos: [photo(4, 1), photo(5, 1)] },
    fakeAnalyzer(),
  );
  t.match(r, { ok: false, reason: 'enroll.inconsistent-photos' });
});

t.test('a wrong photo among three is left out', async (t) => {
  const { events } = tempDb(t);
  const r = await store(events).enroll(
    { personRef: 'emp-4', consent, photos: [photo(4, 1), photo(6, 1), photo(4, 2)] },
    fakeAnalyzer(),
  );
  t.match(r, { ok: true, value: { photosUsed: 2, rejected: [{ index: 1, reason: 'enroll.not-same-person' }] } });
});

t.test('consent is required and recorded', async (t) => {
  const { db, events } = tempDb(t);
  const s = store(events);
  t.match(
    await s.enroll({ personRef: 'emp-5', consent: { ...consent, version: '' }, photos: [photo(5, 1)] }, fakeAnalyzer()),
    { ok: false, reason: 'enroll.bad-request' },
  );
  await s.enroll({ personRef: 'emp-5', consent, photos: [photo(5, 1)] }, fakeAnalyzer());
  const row = db.prepare('SELECT consent_version, consent_by, consent_purpose FROM enroll_templates').get();
  t.same(row, { consent_version: 'v2026-01', consent_by: 'op-7', consent_purpose: 'staff entrance' });
  t.match(s.list(), [{ personRef: 'emp-5', consentVersion: 'v2026-01', photosUsed: 1 }]);
});

t.test('a personRef outside the allowed characters is refused', async (t) => {
  const { events } = tempDb(t);
  t.match(await store(events).enroll({ personRef: 'Nguyễn Văn A', consent, photos: [photo(5, 1)] }, fakeAnalyzer()), {
    ok: false,
    reason: 'enroll.bad-request',
  });
});

t.test('the enrollment key parses from hex or base64 and refuses short secrets', async (t) => {
  t.ok(parseEnrollmentKey(Buffer.from(KEY.toString('hex'))).ok);
  t.ok(parseEnrollmentKey(Buffer.from(KEY.toString('base64'))).ok);
  t.notOk(parseEnrollmentKey(Buffer.from('correct horse battery staple')).ok);
});

const models = await loadPipeline();
t.teardown(() => ('pipeline' in models ? models.pipeline.release() : undefined));

t.test(
  'with the real pipeline: identify finds the enrolled person and not a stranger',
  { skip: 'skip' in models ? models.skip : false },
  async (t) => {
    if (!('pipeline' in models)) return;
    const { pipeline } = models;
    const { events } = tempDb(t);
    const s = store(events);
    const a = await s.enroll({ personRef: 'p1', consent, photos: [fixture('p1-img5.jpg')] }, pipeline);
    const b = await s.enroll({ personRef: 'p5', consent, photos: [fixture('p5-img16.jpg')] }, pipeline);
    t.ok(a.ok && b.ok, JSON.stringify([a, b]));
    const threshold = (await loadThresholds())['1e-3']; // the published FMR 1e-3 threshold
    const probe = async (name: string) => {
      const r = await pipeline.analyze(fixture(name), { skipQuality: true });
      if (!r.ok) throw new Error(`${name}: ${r.detail}`);
      return r.value.embedding;
    };
    t.match(s.identify(await probe('p1-img11.jpg'), threshold), { personRef: 'p1' });
    t.match(s.identify(await probe('p5-img17.jpg'), threshold), { personRef: 'p5' });
    t.equal(s.identify(await probe('p9-img12.jpg'), threshold), null, 'a stranger is not identified');
    const v = s.verify('p1', await probe('p1-img11.jpg'));
    t.ok(v.ok && v.value >= threshold);
  },
);
