// The dashboard's analytics card in headless Chromium, read as an IOC analyst reads it: today's passages per
// site with the domestic/foreign split (a small cell withheld), peak hours, occupancy over the day, denials by
// reason and alarm kinds in Vietnamese first. The collector's store is seeded directly; the page talks to the real API.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { foldBatch } from '../../collector/storage/batch.js';
import { openSqliteStore } from '../../collector/storage/sqlite.js';
import { startTestBroker, uniqueId } from '../helpers/broker.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../helpers/chromium.js';
import { alarmRecord, countsRecord } from './fixtures.js';
import { startTestCollector, TEST_TOKEN } from './helpers.js';

const { NO_WORDS_NOTE } = (await import(new URL('../../collector/dashboard/words.js', import.meta.url).href)) as {
  NO_WORDS_NOTE: string;
};

const H = 3_600_000;
const OFF = 7 * H;
const MARKUP_CODE = '<img src=x onerror="window.pwned=1">';

if (!CHROMIUM_PATH) {
  t.plan(0, 'no chromium binary at /usr/lib/chromium/chromium or /usr/bin/chromium (apt-get install -y chromium)');
} else {
  t.test(
    'the analytics card shows today per site, the domestic/foreign split, peak hours, denials by reason and alarm kinds',
    async (t) => {
      const { chromium } = await import('playwright-core');
      const broker = await startTestBroker();
      t.teardown(() => broker.stop());
      const dir = mkdtempSync(join(tmpdir(), 'gate06-dash-an-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      const store = openSqliteStore(join(dir, 'c.db'));
      // Two windows today: local midnight of today, plus the hour of each, so both are today and not in the future.
      const now = Date.now();
      const midnight = Math.floor((now + OFF) / 86_400_000) * 86_400_000 - OFF;
      const hourAgo = Math.max(midnight, Math.floor((now - H) / H) * H);
      const earlier = midnight;
      const site = uniqueId('trang-an');
      await store.write(
        foldBatch(
          [
            countsRecord(site, 'g1', hourAgo, [
              {
                lane: 'L1',
                in: 12,
                out: 3,
                denied: 4,
                deniedByReason: { 'ticket.expired': 3, 'face.no-match': 1 },
                byCategory: { domestic: 10, foreign: 5, unknown: 0, ageBand: { '18-39': 9, '40-59': 6 }, sex: {} },
              },
              {
                // A gate newer than this dashboard: one code it has no words for, and, as a store written by
                // something other than ingest (which refuses it) might hold, markup in place of a code.
                lane: 'L3',
                in: 0,
                out: 0,
                denied: 3,
                deniedByReason: { 'ticket.revoked': 2, [MARKUP_CODE]: 1 },
              },
            ]),
            // One foreign visitor among four: this window's nationality is withheld, its 5 passages shown as withheld.
            countsRecord(site, 'g1', earlier, [
              {
                lane: 'L2',
                in: 5,
                out: 0,
                // A gate from before reasons were sent: its denial shows as reason not sent.
                denied: 1,
                byCategory: { domestic: 4, foreign: 1, unknown: 0, ageBand: { '18-39': 5 }, sex: {} },
              },
            ]),
            alarmRecord(site, 'g1', 'al-1', hourAgo),
          ],
          3,
        ),
      );
      const c = await startTestCollector({
        mqttUrl: broker.url,
        sites: [site],
        clientId: uniqueId('col'),
        store,
        configSites: [{ id: site, name: 'Tràng An', kind: 'tourist' }],
      });
      t.teardown(() => c.dispose());

      const userDataDir = mkdtempSync(join(tmpdir(), 'gate06-chromium-'));
      t.teardown(() => rmSync(userDataDir, { recursive: true, force: true }));
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM_PATH,
        args: CHROMIUM_ARGS,
        viewport: { width: 1280, height: 1400 },
      });
      t.teardown(() => context.close());
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      await page.goto(c.url);
      await page.fill('#token', TEST_TOKEN);
      await page.click('#login-form button[type=submit]');
      await page.waitForFunction(() => document.querySelectorAll('#compare tbody tr td').length > 1, undefined, {
        timeout: 15_000,
      });

      const cells = await page.locator('#compare tbody tr').first().locator('td').allInnerTexts();
      // Site, kind in words, in, out, denied, domestic, foreign, withheld.
      t.same(cells, [site, 'Du lịch / Tourist', '17', '3', '8', '10', '5', '5']);
      t.match(await page.innerText('#period-label'), /^Hôm nay \/ Today: /);
      const groups = Object.fromEntries(
        (
          await page
            .locator('#ages tbody tr')
            .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)))
        ).map(([k, v]) => [k, v]),
      );
      t.match(groups, { 'Trong nước / Domestic': '10', 'Nước ngoài / Foreign': '5', 'Tuổi / Age 18-39': '14' });
      const localHour = new Date(hourAgo + OFF).getUTCHours();
      t.match(
        await page.innerText('#peak-text'),
        `Giờ cao điểm / Peak hours: ${String(localHour).padStart(2, '0')}:00`,
      );
      t.equal(await page.getAttribute('#peaks', 'data-total'), '17', 'the hour-of-day bars hold every entry');
      t.same(
        await page
          .locator('#denials tbody tr')
          .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent))),
        [
          ['Vé đã hết hạn · Ticket expired', '3'],
          [`ticket.revoked (${NO_WORDS_NOTE})`, '2'],
          [`${MARKUP_CODE} (${NO_WORDS_NOTE})`, '1'],
          ['Khuôn mặt không khớp · Face does not match', '1'],
          ['Không rõ lý do (cổng chưa gửi lý do) / Reason not sent by the gate', '1'],
        ],
        'denials by reason in Vietnamese first, busiest first; a code without words shows as itself, noted',
      );
      t.same(
        await page.locator('#denials td.no-words').evaluateAll((tds) => tds.map((td) => td.getAttribute('data-code'))),
        ['ticket.revoked', MARKUP_CODE],
        'codes without words are set apart',
      );
      t.equal(await page.locator('#denials img').count(), 0, 'markup in a code is shown as text, never parsed');
      t.equal(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned), undefined);
      t.equal(
        await page.locator('#alarm-kinds tbody td.kind').first().innerText(),
        'Hai người qua một lượt · Tailgating',
        'alarm kinds in Vietnamese first',
      );

      // The period selector: this month holds today, so the same figures.
      await page.selectOption('#period', 'month');
      await page.waitForFunction(() => /Tháng này/.test(document.querySelector('#period-label')?.textContent ?? ''));
      t.match(await page.locator('#compare tbody tr').first().innerText(), /17\s+3/);
      t.same(errors, [], 'no script errors (CSP blocks nothing the page needs)');

      const artifacts = new URL('../../artifacts/', import.meta.url).pathname;
      mkdirSync(artifacts, { recursive: true });
      await page.selectOption('#period', 'day');
      await page.waitForTimeout(300);
      await page.screenshot({ path: join(artifacts, 'collector-dashboard-analytics.png'), fullPage: true });
    },
  );
}
