// The console in a real browser (playwright-core driving Debian's chromium) against a gateway on simulated
// hardware: what an operator, a security officer and an admin do, end to end, and what a security officer
// reads in an event's detail. Screenshots go to artifacts/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import t, { type Test } from 'tap';
import { PassiveAuthChipCheck } from '../../../gateway/credentials/chip.js';
import { loadTrustStore } from '../../../gateway/credentials/icao/index.js';
import { maskId } from '../../../gateway/credentials/identity.js';
import { issueTicket, loadIssuerKey } from '../../../gateway/credentials/ticket-issuer.js';
import type { DecisionRecord } from '../../../gateway/events.js';
import { FaceEvidence } from '../../../gateway/face/face-evidence.js';
import { registerFacePhotoRoutes } from '../../../gateway/http/face-photo-routes.js';
import type { FaceCheck } from '../../../gateway/lane/ports.js';
import { makeCard } from '../../../sim/cards/make-card.js';
import { NGUYEN_VAN_A, syntheticVariant } from '../../../sim/cards/people.js';
import { INTEGRATION_TOKEN } from '../../../sim/demo-site.js';
import { simFace } from '../../../sim/face-lanes.js';
import { cccdQrText, syntheticPerson } from '../../../sim/people/population.js';
import { seededRandom } from '../../../sim/random.js';
import { CHROMIUM_ARGS } from '../../helpers/chromium.js';
import { demoConfig, type Harness, PASSWORDS, startHarness, until } from './harness.js';

/** The SYNTHETIC holder of the tampered chip card at L2: Nguyễn Văn A's details under another ID. */
const TAMPERED_CARD_HOLDER = syntheticVariant(NGUYEN_VAN_A, 54_321);

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const ARTIFACTS = join(import.meta.dirname, '../../../artifacts/console');
const ROOT = join(import.meta.dirname, '../../..');

if (!existsSync(CHROMIUM)) {
  t.pass(`skipped: chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
} else {
  let h: Harness;
  let browser: Browser;
  const cspViolations: string[] = [];
  mkdirSync(ARTIFACTS, { recursive: true });

  // The face models are too heavy for a browser test on a shared 2-core box: this check stands in for
  // PipelineFaceCheck and answers with the facts it writes (gateway/face/face-check.ts, liveness.ts), and
  // keeps the frame and the chip photo in memory as it does, while the decision service, the store, the
  // photo route and the console run their real paths.
  const evidence = new FaceEvidence();
  const faceCheck: FaceCheck = {
    check: async (req) => ({
      ok: true,
      facts: {
        faceThreshold: 0.42,
        faceMatch: 'document-photo',
        liveness: 'live',
        livenessScore: 0.912,
        livenessNonRigid: 0.031,
        livenessBlink: 0.12,
        livenessMouth: 0.164,
        livenessRigid: 0.04,
        livenessFlagged: false,
        faceScore: 0.713,
        faceEvidence: evidence.keep({
          live: simFace('p9-img12.jpg'),
          ...(req.reference.photo ? { reference: req.reference.photo } : {}),
        }),
      },
    }),
  };

  t.before(async () => {
    const trust = await loadTrustStore(demoConfig(tmpdir(), false).chip!.trustStore);
    if (!trust.ok) throw new Error(`demo trust store: ${trust.reason}`);
    h = await startHarness({
      // L2's entry asks a chip holder for their face, as a station or industrial-park lane does.
      configure: (c) => {
        c.gate.lanes[1]!.entry!.face.requireFor = ['chip'];
      },
      extra: {
        ports: { chip: new PassiveAuthChipCheck(() => trust.value), face: faceCheck },
        http: [(app, core) => registerFacePhotoRoutes(app, core, evidence)],
      },
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
    });
  });
  t.teardown(async () => {
    await browser?.close();
    await h?.stop();
  });

  const newPage = async (): Promise<{ ctx: BrowserContext; page: Page }> => {
    const ctx = await browser.newContext({
      acceptDownloads: true,
      locale: 'vi-VN',
      viewport: { width: 1366, height: 900 },
    });
    ctx.setDefaultTimeout(60_000);
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text()))
        cspViolations.push(`${new URL(page.url()).pathname}: ${m.text().slice(0, 120)}`);
    });
    return { ctx, page };
  };
  const login = async (page: Page, name: string, password: string): Promise<void> => {
    await page.goto(`${h.url}/console/`);
    await page.fill('#login-name', name);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#view-lanes:not([hidden])');
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  const person = syntheticPerson(seededRandom(606), 1); // SYNTHETIC person, invented ID and name
  let operator: Page;
  let exportedCsv = '';
  /** Event ids of what the detail tests open, recorded as the operator tests create them. */
  const ids: Record<'ticket' | 'alarm' | 'manualOpen' | 'chipDenied' | 'face', string> = {
    ticket: '',
    alarm: '',
    manualOpen: '',
    chipDenied: '',
    face: '',
  };
  const nextDecision = (): Promise<DecisionRecord> =>
    new Promise((resolve) => {
      const owner = {};
      h.gw.core.bus.on(owner, 'decision.made', (d) => {
        h.gw.core.bus.removeOwner(owner);
        resolve(d);
      });
    });

  t.test('an operator logs in and sees every lane with its device links', async (t) => {
    ({ page: operator } = await newPage());
    await login(operator, 'op', PASSWORDS.op);
    await operator.waitForSelector('#live.on');
    const lanes = await operator.$$eval('.lane', (ns) => ns.map((n) => (n as HTMLElement).dataset.lane));
    t.same(lanes, ['L1', 'L2']);
    await shot(operator, '01-operator-lanes');
  });

  t.test('a decision from the simulator appears in the console without a reload', async (t) => {
    await operator.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    const issuer = loadIssuerKey(join(ROOT, 'seeds/issuer/demo-issuer.private.jwk.json'));
    const token = await issueTicket(issuer, {
      site: 'hn-tamchuc',
      kind: 'single',
      tid: 'T-console-1',
      validFromMs: Date.now() - 60_000,
      validForMs: 3600_000,
    });
    const unlocked = new Promise((r) => h.rig.lane('L1').turnstile.once('unlock', r));
    const decided = nextDecision();
    await h.rig.lane('L1').qr.in!.scan(token);
    ids.ticket = (await decided).eventId;
    await operator.waitForSelector('#decisions tbody tr.allow');
    t.equal(
      await operator.textContent('#decisions tbody tr.allow td.reason'),
      'Hợp lệ · Valid',
      'the reason in words, Vietnamese first',
    );
    t.equal(
      await operator.getAttribute('#decisions tbody tr.allow td.reason .coded', 'title'),
      'ok',
      'the code for support',
    );
    t.equal(
      await operator.evaluate(() => (window as unknown as { marker?: number }).marker),
      42,
      'same page, not reloaded',
    );
    await unlocked;
    await h.rig.lane('L1').turnstile.holdSensor('in', 1000);
    await operator.waitForFunction(
      () => document.querySelector('#counts tr[data-lane="L1"] td.in')?.textContent === '1',
    );
    await shot(operator, '02-operator-live-decision');
  });

  t.test('at a PC/SC chip side the operator reads what the person is asked to do, until it is done', async (t) => {
    const prompt = (step: 'hold-card' | 'reading' | 'done') =>
      h.gw.core.bus.emit('chip.prompt', { lane: 'L2', direction: 'in', step, ts: Date.now() });
    prompt('hold-card');
    await operator.waitForSelector('.lane[data-lane="L2"] .chip-prompt');
    t.equal(
      await operator.textContent('.lane[data-lane="L2"] .chip-prompt'),
      'Vào: Mời đặt thẻ CCCD lên đầu đọc',
      'the prompt in Vietnamese words',
    );
    prompt('reading');
    await operator.waitForSelector('.lane[data-lane="L2"] .chip-prompt[data-step="reading"]');
    prompt('done');
    await operator.waitForSelector('.lane[data-lane="L2"] .chip-prompt', { state: 'detached' });
  });

  t.test(
    'at a face lane the card shows the blink prompt, Vietnamese first, until the retry burst is taken',
    async (t) => {
      const prompt = (step: 'blink' | 'done') =>
        h.gw.core.bus.emit('face.prompt', { lane: 'L2', direction: 'in', step, ts: Date.now() });
      prompt('blink');
      await operator.waitForSelector('.lane[data-lane="L2"] .face-prompt[data-step="blink"]');
      t.equal(await operator.textContent('.lane[data-lane="L2"] .face-prompt'), 'Vào: Xin hãy chớp mắt · Please blink');
      prompt('done');
      await operator.waitForSelector('.lane[data-lane="L2"] .face-prompt', { state: 'detached' });
    },
  );

  t.test('an operator acknowledges an alarm and the acknowledgement is logged with their name', async (t) => {
    h.rig.lane('L2').turnstile.setAlarm(true);
    await operator.waitForSelector('#alarms li[data-kind="turnstile-alarm"] button.ack');
    t.equal(
      await operator.textContent('#alarms li[data-kind="turnstile-alarm"] strong'),
      'Cổng xoay báo lỗi · Turnstile alarm',
      'the alarm kind in words',
    );
    await shot(operator, '03-operator-alarm');
    await operator.click('#alarms li[data-kind="turnstile-alarm"] button.ack');
    await operator.waitForSelector('#alarms li.acked[data-kind="turnstile-alarm"]');
    const alarm = h.gw.core.alarms.list().find((a) => a.kind === 'turnstile-alarm');
    t.equal(alarm?.acknowledged?.by, 'op');
    ids.alarm = h.gw.core.store.query({ type: 'alarm', limit: 10 }).find((e) => e.facts.alarmId === alarm?.id)!.id;
    h.rig.lane('L2').turnstile.setAlarm(false);
  });

  t.test('an operator opens a lane by hand with a reason, and the reason is in the event log', async (t) => {
    const unlocked = new Promise<string>((r) => h.rig.lane('L2').turnstile.once('unlock', (d) => r(d)));
    await operator.click('.lane[data-lane="L2"] button.open[data-direction="in"]');
    await operator.waitForSelector('#reason-dialog[open]');
    await operator.click('#reason-confirm'); // empty: the dialog refuses
    t.ok(await operator.isVisible('#reason-dialog[open]'), 'no open without a reason');
    await operator.fill('#reason', 'khách xe lăn / wheelchair visitor');
    await shot(operator, '04-operator-manual-open-reason');
    await operator.click('#reason-confirm');
    t.equal(await unlocked, 'in');
    const ev = h.gw.core.store.query({ type: 'manual-open', limit: 1 })[0];
    t.match(ev?.facts, { by: 'op', why: 'khách xe lăn / wheelchair visitor' });
    t.equal(ev?.lane, 'L2');
    ids.manualOpen = ev!.id;
    await h.rig.lane('L2').turnstile.pass('in');
    await until(
      () => h.gw.core.store.query({ type: 'passage', lane: 'L2', limit: 1 })[0]?.refId === ids.manualOpen,
      'the passage through the manual open',
    );
  });

  t.test('chip cards at L2: a tampered one is denied, a genuine one with a matching face opens', async (t) => {
    const signingTime = new Date('2026-01-05T00:00:00Z');
    const tampered = await makeCard({
      person: TAMPERED_CARD_HOLDER,
      faults: { untrustedSigner: true },
      signingTime,
    });
    let decided = nextDecision();
    await h.rig.lane('L2').chip.in!.present(tampered);
    const denied = await decided;
    t.match(denied, { decision: 'deny', reason: 'chip.untrusted-signer' });
    ids.chipDenied = denied.eventId;
    await operator.waitForSelector(`#decisions tbody tr[data-event-id="${denied.eventId}"]`);
    t.equal(
      await operator.textContent(`#decisions tbody tr[data-event-id="${denied.eventId}"] td.reason`),
      'Chip không do cơ quan cấp tin cậy ký · Chip not signed by a trusted issuer',
    );

    decided = nextDecision();
    await h.rig.lane('L2').chip.in!.present(await makeCard({ person: NGUYEN_VAN_A, signingTime }));
    const allowed = await decided;
    t.match(allowed, { decision: 'allow', reason: 'ok', facts: { faceScore: 0.713 } });
    ids.face = allowed.eventId;
    const faceCell = `#decisions tbody tr[data-event-id="${allowed.eventId}"] td.face`;
    await operator.waitForSelector(faceCell);
    t.equal(
      await operator.textContent(faceCell),
      '0.713 ≥ 0.420 · khớp · Người thật',
      'the operator reads the score against the threshold and the liveness verdict',
    );
    await h.rig.lane('L2').turnstile.pass('in');
  });

  t.test('an operator cannot search or export the log (403)', async (t) => {
    const statuses = await operator.evaluate(async () => {
      const me = (await (await fetch('/v1/auth/me')).json()) as { csrfToken: string };
      const post = (path: string) =>
        fetch(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrfToken },
          body: '{}',
        }).then((r) => r.status);
      return [
        await post('/v1/security/search'),
        await post('/v1/security/export'),
        await fetch('/v1/admin/audit').then((r) => r.status),
      ];
    });
    t.same(statuses, [403, 403, 403]);
    t.ok(await operator.isHidden('.tab[data-view="search"]'), 'no search tab for an operator');
  });

  t.test('security staff search by ID number and export the result as CSV', async (t) => {
    await h.rig.lane('L1').qr.out!.scan(cccdQrText(person));
    await until(() => h.gw.core.store.query({ credential: 'cccd-qr', limit: 1 }).length === 1, 'the CCCD QR decision');
    const { page } = await newPage();
    await login(page, 'sec', PASSWORDS.sec);
    await page.click('.tab[data-view="search"]');
    await page.fill('#search-id', person.id);
    await page.click('#search-submit');
    await page.waitForSelector('#results tbody tr');
    const masked = await page.$$eval('#results tbody tr td:nth-child(8)', (tds) => tds.map((td) => td.textContent));
    t.same(masked, [maskId(person.id)]);
    await shot(page, '05-security-search');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    t.match(download.suggestedFilename(), /^gate06-hn-tamchuc-gate-a-\d{8}-\d{4}\.csv$/);
    const file = join(ARTIFACTS, download.suggestedFilename());
    await download.saveAs(file);
    const csv = readFileSync(file, 'utf8');
    exportedCsv = csv;
    t.equal(csv.trim().split('\r\n').length, 2, 'header and one row');
    t.match(csv, maskId(person.id));
    t.notMatch(csv, person.id, 'no raw ID number in the export');
  });

  t.test('the CSV export keeps the reason code for machines and adds the reason in words for people', async (t) => {
    const csv = exportedCsv.replace(/^\uFEFF/, '');
    const [header, row] = csv.trim().split('\r\n');
    const columns = header!.split(',');
    t.ok(columns.includes('reason'), 'the code column stays');
    t.equal(columns.at(-1), 'reasonWords');
    const ev = h.gw.core.store.query({ type: 'decision', credential: 'cccd-qr', limit: 1 })[0]!;
    const cells = row!.split(',');
    t.equal(cells[columns.indexOf('reason')], ev.reason);
    t.match(cells.at(-1), / · /, 'Vietnamese · English');
    t.not(cells.at(-1), ev.reason);
  });

  // ---------- what a security officer reads in an event's detail ----------

  let officer: Page;
  /** The detail panel as a person reads it: each label with the text beside it. */
  const readDetail = (page: Page): Promise<Record<string, string>> =>
    page.$$eval('#detail dl.facts > dt', (dts) =>
      // biome-ignore lint/performance/useDomNodeTextContent: innerText is the text as laid out on screen, which is what a person reads
      Object.fromEntries(dts.map((dt) => [dt.textContent ?? '', (dt.nextElementSibling as HTMLElement).innerText])),
    );
  const openDetailOf = async (eventId: string): Promise<Record<string, string>> => {
    await officer.click('#search-submit');
    await officer.click(`#results tbody tr[data-event-id="${eventId}"] button.detail-open`);
    await officer.waitForFunction(
      (id) => document.querySelector('#detail dd[data-fact="eventId"]')?.textContent === id,
      eventId,
    );
    return readDetail(officer);
  };
  const neverObject = async (t: Test) => {
    t.notOk((await officer.content()).includes('[object'), 'no "[object" anywhere on the page');
    // biome-ignore lint/performance/useDomNodeTextContent: innerText is the text as laid out on screen, which is what a person reads
    t.notOk((await officer.innerText('body')).includes('[object'), 'no "[object" in the text a person reads');
  };

  t.test('an allowed ticket: the detail reads the ticket id and the reason in words', async (t) => {
    ({ page: officer } = await newPage());
    await login(officer, 'sec', PASSWORDS.sec);
    await officer.click('.tab[data-view="search"]');
    const d = await openDetailOf(ids.ticket);
    t.equal(d['Mã vé'], 'T-console-1');
    t.match(d['Lý do'], /^Hợp lệ · Valid/);
    t.equal(d['Kết quả'], 'Cho qua');
    t.equal(d['Giấy tờ'], 'Vé');
    t.equal(d['Làn'], 'L1');
    t.equal(d['Hướng'], 'Vào');
    t.equal(d['Mã sự kiện'], ids.ticket);
    t.match(d['Vị trí trong chuỗi nhật ký'], /^#\d+/);
    t.ok(d['Giờ'], 'the time');
    await neverObject(t);
    await officer.locator('#detail').screenshot({ path: join(ARTIFACTS, '07-detail-ticket.png') });
  });

  t.test('a denied chip read: the detail reads the chip failure in Vietnamese words', async (t) => {
    const d = await openDetailOf(ids.chipDenied);
    t.equal(d['Kết quả'], 'Từ chối');
    t.match(d['Lý do'], /^Chip không do cơ quan cấp tin cậy ký · Chip not signed by a trusted issuer/);
    t.equal(d['Xác thực chip'], 'Không đạt');
    t.match(d['Lỗi chip'], /^Chip không do cơ quan cấp tin cậy ký/);
    t.match(d['Lỗi chip'], /chip\.untrusted-signer/, 'the code in small type for support');
    t.equal(d['Giấy tờ'], 'Chip CCCD');
    t.equal(d['Số định danh (che)'], maskId(TAMPERED_CARD_HOLDER.id));
    await neverObject(t);
    await officer.locator('#detail').screenshot({ path: join(ARTIFACTS, '08-detail-chip-denied.png') });
  });

  t.test('a face decision: the detail reads the score, the threshold and the liveness verdict', async (t) => {
    const d = await openDetailOf(ids.face);
    t.equal(d['Điểm khuôn mặt'], '0.713');
    t.equal(d['Ngưỡng khuôn mặt'], '0.420');
    t.equal(d['So khớp với'], 'Ảnh trong chip CCCD');
    t.equal(d['Khuôn mặt so với ngưỡng'], '0.713 ≥ 0.420 · khớp');
    t.equal(d['Kiểm tra người thật'], 'Người thật');
    t.equal(d['Cử động khuôn mặt'], '0.031', 'the liveness signals');
    t.equal(d['Chớp mắt'], '0.120');
    t.equal(d['Cử động miệng'], '0.164');
    t.equal(d['Di chuyển cả khối (như ảnh cầm tay)'], '0.040');
    t.equal(d['Xác thực chip'], 'Đạt (chữ ký và dữ liệu đúng)');
    t.equal(d['Kết quả'], 'Cho qua');
    await neverObject(t);

    // The photos only on request, each view audited.
    t.notOk(await officer.$('#face-photos img'), 'no photo before the officer asks');
    await officer.click('#face-photos-show');
    for (const which of ['live', 'reference']) {
      await officer.waitForFunction(
        (w) => (document.querySelector(`#face-photos img[data-photo="${w}"]`) as HTMLImageElement | null)?.naturalWidth,
        which,
      );
    }
    t.equal(
      await officer.$$eval('#face-photos figcaption', (c) => c.map((x) => x.textContent).join(' | ')),
      'Ảnh camera tại làn | Ảnh đối chiếu',
    );
    const views = h.gw.core.audit
      .list({ limit: 20 })
      .filter((a) => a.action === 'event.face-photo' && a.actor === 'sec' && a.outcome === 'shown');
    t.equal(views.length, 2, 'both views audited');
    await officer.locator('#detail').screenshot({ path: join(ARTIFACTS, '09-detail-face.png') });
  });

  t.test('an operator (and an admin) do not get the face photos', async (t) => {
    const url = (which: string) => `${h.url}/v1/security/events/${ids.face}/face-photo/${which}`;
    const asOperator = await operator.request.get(url('live'));
    t.equal(asOperator.status(), 403, 'operator');
    t.notOk((await asOperator.headers())['content-type']?.startsWith('image/'));
    const { page: admin } = await newPage();
    await login(admin, 'admin', PASSWORDS.admin);
    t.equal((await admin.request.get(url('reference'))).status(), 403, 'admin');
    const asToken = await fetch(url('live'), { headers: { authorization: `Bearer ${INTEGRATION_TOKEN}` } });
    t.equal(asToken.status, 403, 'an integration token: never a session');
    await admin.context().close();
  });

  t.test('a manual open: the detail reads who opened the lane and why, and the passage it let through', async (t) => {
    const d = await openDetailOf(ids.manualOpen);
    t.equal(d['Người thực hiện'], 'op');
    t.equal(d['Lý do ghi lại'], 'khách xe lăn / wheelchair visitor');
    t.match(d['Lý do'], /^Nhân viên mở tay · Opened by an operator/);
    t.equal(d['Loại'], 'Mở tay');
    // biome-ignore lint/performance/useDomNodeTextContent: innerText is the text as laid out on screen, which is what a person reads
    t.match(await officer.innerText('#detail ul.related'), /Lượt qua/);
    await neverObject(t);
    await officer.locator('#detail').screenshot({ path: join(ARTIFACTS, '10-detail-manual-open.png') });
  });

  t.test('an alarm: the detail reads its kind in words and who acknowledged it', async (t) => {
    const d = await openDetailOf(ids.alarm);
    t.match(d['Loại cảnh báo'], /^Cổng xoay báo lỗi · Turnstile alarm/);
    t.match(d['Đã xác nhận bởi'], /^op · /);
    const row = `#results tbody tr[data-event-id="${ids.alarm}"] td.reason`;
    t.equal(await officer.textContent(row), 'Cổng xoay báo lỗi · Turnstile alarm', 'in the event list too');
    await neverObject(t);
  });

  t.test('the audit log shows the search and the export, with the ID number hashed', async (t) => {
    const { page } = await newPage();
    await login(page, 'admin', PASSWORDS.admin);
    await page.click('.tab[data-view="audit"]');
    await page.waitForSelector('#audit tbody tr[data-action="events.export"]');
    const rows = await page.$$eval('#audit tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    // The officer's later searches have no filter: this one is the search by ID number.
    const search = rows.find((r) => r[3] === 'events.search' && r[1] === 'sec' && r[4]?.includes('idNumber'));
    const exported = rows.find((r) => r[3] === 'events.export' && r[1] === 'sec');
    t.ok(search, 'search recorded');
    t.ok(exported, 'export recorded');
    t.match(search?.[4], '"idNumber":"[hashed]"');
    t.equal(exported?.[5], '1', 'rows exported');
    t.notMatch(await page.content(), person.id);
    await shot(page, '06-admin-audit');
  });

  t.test('API calls without a session or token get 401', async (t) => {
    const get = (p: string) => fetch(`${h.url}${p}`).then((r) => r.status);
    const post = (p: string) =>
      fetch(`${h.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then(
        (r) => r.status,
      );
    t.same(
      [
        await get('/v1/console/state'),
        await get('/v1/live'),
        await post('/v1/security/search'),
        await post('/v1/security/export'),
        await get('/v1/admin/audit'),
        await get('/v1/events'),
        await post('/v1/console/lanes/L1/open'),
      ],
      [401, 401, 401, 401, 401, 401, 401],
    );
  });

  t.test('swagger-ui at /docs still renders under the strict CSP', async (t) => {
    const { page } = await newPage();
    await page.goto(`${h.url}/docs/`);
    await page.waitForSelector('.swagger-ui .info');
    t.pass('rendered');
  });

  t.test('no page broke the Content Security Policy', async (t) => {
    t.same(cspViolations, []);
  });
}
