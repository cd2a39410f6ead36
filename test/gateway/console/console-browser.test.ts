// The console in a real browser (playwright-core driving Debian's chromium) against a gateway on simulated
// hardware: what an operator, a security officer and an admin do, end to end. Screenshots go to artifacts/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import t from 'tap';
import { maskId } from '../../../gateway/credentials/identity.js';
import { issueTicket, loadIssuerKey } from '../../../gateway/credentials/ticket-issuer.js';
import { cccdQrText, syntheticPerson } from '../../../sim/people/population.js';
import { seededRandom } from '../../../sim/random.js';
import { CHROMIUM_ARGS } from '../../helpers/chromium.js';
import { type Harness, PASSWORDS, startHarness, until } from './harness.js';

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

  t.before(async () => {
    h = await startHarness();
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
    await h.rig.lane('L1').qr.in!.scan(token);
    await operator.waitForSelector('#decisions tbody tr.allow');
    t.equal(await operator.textContent('#decisions tbody tr.allow td.reason'), 'ok (hợp lệ)');
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

  t.test('an operator acknowledges an alarm and the acknowledgement is logged with their name', async (t) => {
    h.rig.lane('L2').turnstile.setAlarm(true);
    await operator.waitForSelector('#alarms li[data-kind="turnstile-alarm"] button.ack');
    await shot(operator, '03-operator-alarm');
    await operator.click('#alarms li[data-kind="turnstile-alarm"] button.ack');
    await operator.waitForSelector('#alarms li.acked[data-kind="turnstile-alarm"]');
    const alarm = h.gw.core.alarms.list().find((a) => a.kind === 'turnstile-alarm');
    t.equal(alarm?.acknowledged?.by, 'op');
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
    t.equal(csv.trim().split('\r\n').length, 2, 'header and one row');
    t.match(csv, maskId(person.id));
    t.notMatch(csv, person.id, 'no raw ID number in the export');
  });

  t.test('the audit log shows the search and the export, with the ID number hashed', async (t) => {
    const { page } = await newPage();
    await login(page, 'admin', PASSWORDS.admin);
    await page.click('.tab[data-view="audit"]');
    await page.waitForSelector('#audit tbody tr[data-action="events.export"]');
    const rows = await page.$$eval('#audit tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    const search = rows.find((r) => r[3] === 'events.search' && r[1] === 'sec');
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
