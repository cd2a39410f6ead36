// The IOC dashboard in headless Chromium: after the collector has stored some windows, the page shows a
// non-empty chart, the gate status table and the alarms with their kinds in words, Vietnamese first.
// Skipped with a message when no chromium binary exists.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fleetKeysJwks, runFleet } from '../../sim/fleet.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { CHROMIUM_ARGS } from '../helpers/chromium.js';
import { eventually, startTestCollector, TEST_TOKEN } from './helpers.js';

/** What each alarm kind must read, written out here so that the test does not trust the page's own table. */
const ALARM_IN_WORDS: Record<string, string> = {
  'forced-passage': 'Có người vượt cổng khi chưa mở · Forced passage',
  tailgating: 'Hai người qua một lượt · Tailgating',
  'door-held': 'Cửa bị giữ mở quá lâu · Door held open',
  'device-offline': 'Thiết bị mất kết nối · Device offline',
  'turnstile-alarm': 'Cổng xoay báo lỗi · Turnstile alarm',
  'fire-alarm': 'Báo cháy · Fire alarm',
  'watchlist-hit': 'Trùng danh sách theo dõi · Watchlist hit',
  'anti-passback': 'Vào lại khi chưa ra · Anti-passback',
  'outbox-filling': 'Hàng đợi gửi về IOC sắp đầy · Outbox to the IOC filling up',
  'clock-jump': 'Đồng hồ thiết bị nhảy giờ · Clock jumped',
  'store-unavailable': 'Không ghi được nhật ký sự kiện · Event log cannot be written',
  'disk-space-low': 'Sắp hết dung lượng ổ đĩa · Disk space low',
};

const chromiumPath = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));

if (!chromiumPath) {
  t.plan(0, 'no chromium binary at /usr/lib/chromium/chromium or /usr/bin/chromium (apt-get install -y chromium)');
} else {
  t.test('the dashboard shows a non-empty counts chart and the gate status after windows arrive', async (t) => {
    const { chromium } = await import('playwright-core');
    const broker = await startTestBroker();
    t.teardown(() => broker.stop());
    const prefix = uniqueId('dash');
    const c = await startTestCollector({
      mqttUrl: broker.url,
      sites: [`${prefix}-s0`],
      clientId: uniqueId('col'),
      gateKeys: fleetKeysJwks({ gates: 3, sites: 1, sitePrefix: prefix }),
    });
    t.teardown(() => c.dispose());
    // Windows in the last few minutes, so they fall inside the chart's last hour.
    const run = await runFleet({
      mqttUrl: broker.url,
      gates: 3,
      sites: 1,
      windows: 5,
      sitePrefix: prefix,
      alarmRate: 1,
    });
    t.teardown(() => run.close('clear'));
    await eventually(
      () => c.store.gates(`${prefix}-s0`),
      (g) => g.length === 3 && g.every((x) => x.healthAt !== null),
    );
    await c.ingest.drained();

    const userDataDir = mkdtempSync(join(tmpdir(), 'gate06-chromium-'));
    t.teardown(() => rmSync(userDataDir, { recursive: true, force: true }));
    // A fresh profile per run; playwright takes it as launchPersistentContext's first argument, not as --user-data-dir.
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    });
    t.teardown(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));

    await page.goto(c.url);
    await page.fill('#token', TEST_TOKEN);
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(
      () => Number(document.querySelector('#chart')?.getAttribute('data-bars') ?? 0) > 0,
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForFunction(() => document.querySelectorAll('#gates tbody td.online').length === 3, undefined, {
      timeout: 15_000,
    });

    const bars = await page.locator('#chart svg rect').count();
    t.ok(bars > 0, `chart has ${bars} bars`);
    const nonZero = await page
      .locator('#chart svg rect')
      .evaluateAll((rs) => rs.filter((r) => Number(r.getAttribute('height')) > 0).length);
    t.ok(nonZero > 0, 'some bars have height');
    const gateRows = await page.locator('#gates tbody tr').allTextContents();
    t.equal(gateRows.filter((r) => r.includes(`${prefix}-s0`) && r.includes('Online')).length, 3, 'three gates online');
    t.ok((await page.locator('#alarms tbody tr').count()) > 0, 'alarms listed');
    // An IOC operator reads what happened, not a code: "Báo cháy · Fire alarm", the code kept as a tooltip.
    const kinds = await page
      .locator('#alarms tbody td.kind')
      .evaluateAll((tds) => tds.map((td) => ({ text: td.textContent, code: td.getAttribute('title') })));
    t.ok(kinds.length > 0, 'alarm kinds shown');
    for (const k of kinds) {
      t.equal(k.text, ALARM_IN_WORDS[k.code ?? ''], `${k.code} in words`);
      t.match(k.text, /^[^·]*[^\x00-\x7f][^·]* · [A-Z]/, `${k.code}: Vietnamese first, then English`);
    }
    t.notOk(await page.locator('#login').isVisible(), 'the sign-in form is gone once signed in');
    t.same(errors, [], 'no script errors (CSP blocks nothing the page needs)');

    const artifacts = new URL('../../artifacts/', import.meta.url).pathname;
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'collector-dashboard.png'), fullPage: true });
  });
}
