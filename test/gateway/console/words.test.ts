// Every reason code and alarm kind has words, Vietnamese and English, wherever people read them: the gate
// console (and the CSV export, which reads the same table) and the IOC dashboard. The codes come from their
// sources of truth, so a new code without words fails here rather than showing as a bare code at a lane.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import t from 'tap';
import { AlarmPayload } from '../../../contracts/topics.js';
import { ALARM_WORDS, inWords, REASON_WORDS, type Words } from '../../../gateway/console/public/words.js';
import { reasonInWords } from '../../../gateway/console/reason-words.js';
import { REASON_CODES } from '../../../gateway/reasons.js';

const ROOT = join(import.meta.dirname, '../../..');

/** The AlarmKind union as written in gateway/events.ts: the type has no runtime list of its own. */
function alarmKindsInSource(): string[] {
  const source = readFileSync(join(ROOT, 'gateway/events.ts'), 'utf8');
  // Comments inside the union may hold apostrophes ("the store's file"): drop them before reading the quotes.
  const union = /export type AlarmKind =([^;]+);/.exec(source.replace(/\/\*[\s\S]*?\*\//g, ''))?.[1];
  if (!union) throw new Error('AlarmKind union not found in gateway/events.ts');
  return [...union.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
}

const reasonCodes: readonly string[] = REASON_CODES;
const alarmKinds = [...new Set([...alarmKindsInSource(), ...AlarmPayload.shape.kind.options])];

const dashboard = (await import(pathToFileURL(join(ROOT, 'collector/dashboard/words.js')).href)) as {
  ALARM_WORDS: Record<string, Words>;
  alarmInWords: (kind: string | null | undefined) => string;
};

/** Vietnamese written with its diacritics, and an English text that is not the same words. */
function missingWords(table: Readonly<Record<string, Words>>, codes: readonly string[]): string[] {
  return codes.filter((code) => {
    const w = Object.hasOwn(table, code) ? table[code] : undefined;
    return !w || !/[^\x20-\x7e]/.test(w.vi) || w.en.trim().length < 3 || w.vi === w.en;
  });
}

t.test('the AlarmKind union is read from its source', async (t) => {
  t.ok(alarmKindsInSource().includes('forced-passage'));
  t.ok(alarmKindsInSource().length >= 10);
});

t.test('every reason code has Vietnamese and English words in the console', async (t) => {
  t.same(missingWords(REASON_WORDS, reasonCodes), []);
});

t.test('every alarm kind has Vietnamese and English words in the console', async (t) => {
  t.same(missingWords(ALARM_WORDS, alarmKinds), []);
});

t.test('every alarm kind has Vietnamese and English words on the IOC dashboard, the same as at the gate', async (t) => {
  t.same(missingWords(dashboard.ALARM_WORDS, alarmKinds), []);
  for (const kind of alarmKinds) t.same(dashboard.ALARM_WORDS[kind], ALARM_WORDS[kind], kind);
});

t.test('the tables hold no words for codes that do not exist', async (t) => {
  t.same(
    Object.keys(REASON_WORDS).filter((c) => !reasonCodes.includes(c)),
    [],
  );
  t.same(
    Object.keys(ALARM_WORDS).filter((k) => !alarmKinds.includes(k)),
    [],
  );
});

t.test('a code reads Vietnamese first, then English', async (t) => {
  t.equal(inWords(REASON_WORDS, 'ticket.uses-exhausted'), 'Vé đã dùng hết lượt · Ticket used up');
  t.equal(
    inWords(REASON_WORDS, 'store.unavailable'),
    'Không ghi được nhật ký; cổng khóa an toàn · Event log cannot be written; gate locked safe',
  );
  t.equal(dashboard.alarmInWords('fire-alarm'), 'Báo cháy · Fire alarm');
});

t.test('the CSV words column reads the same table, and is empty for an event without a reason', async (t) => {
  t.equal(reasonInWords('chip.dg-mismatch'), 'Dữ liệu chip đã bị sửa đổi · Chip data altered');
  t.equal(reasonInWords(null), '');
});

t.test('any other text, from a newer gateway or a damaged row, shows as itself and never throws', async (t) => {
  const inTable = (s: string) => Object.hasOwn(REASON_WORDS, s) || Object.hasOwn(dashboard.ALARM_WORDS, s);
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty')),
      (s) => {
        fc.pre(!inTable(s));
        return inWords(REASON_WORDS, s) === s && dashboard.alarmInWords(s) === s;
      },
    ),
  );
  t.equal(inWords(REASON_WORDS, null), '');
  t.equal(dashboard.alarmInWords(undefined), '');
});

t.test('every store problem an alarm can name reads in Vietnamese and English in the event detail', async (t) => {
  const { STORE_PROBLEMS } = await import('../../../gateway/store/store-errors.js');
  const { LABELS } = (await import(pathToFileURL(join(ROOT, 'gateway/console/public/i18n.js')).href)) as {
    LABELS: Record<'vi' | 'en', Record<string, string>>;
  };
  for (const problem of [...STORE_PROBLEMS, 'replaced']) {
    t.ok(LABELS.vi[`v.problem.${problem}`], `${problem} in Vietnamese`);
    t.ok(LABELS.en[`v.problem.${problem}`], `${problem} in English`);
  }
  for (const key of ['problem', 'freeMb', 'freePercent', 'percent', 'capacity', 'stepMs', 'failuresInARow', 'walMb'])
    t.ok(LABELS.vi[`fact.${key}`] && LABELS.en[`fact.${key}`], `the alarm fact ${key} has a label`);
});
