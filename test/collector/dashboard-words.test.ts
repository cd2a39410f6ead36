// The dashboard's denials card names every deny code a gate may send, in the same words as the gate console.
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { DENIAL_REASONS } from '../../contracts/topics.js';

type Words = Record<string, { vi: string; en: string }>;
const dashboard = (await import(pathToFileURL('collector/dashboard/words.js').href)) as {
  DENIAL_WORDS: Words;
  denialInWords: (code: string) => { text: string; note?: string };
  NO_WORDS_NOTE: string;
};
const consoleWords = (await import(pathToFileURL('gateway/console/public/words.js').href)) as { REASON_WORDS: Words };

t.test('every deny code of the counts payload has words on the dashboard, and no other code does', async (t) => {
  t.same(Object.keys(dashboard.DENIAL_WORDS).sort(), [...DENIAL_REASONS].sort());
});

t.test('a deny code reads the same on the dashboard as on the gate console', async (t) => {
  for (const code of DENIAL_REASONS) t.same(dashboard.DENIAL_WORDS[code], consoleWords.REASON_WORDS[code], code);
});

t.test('a code the dashboard has words for reads as its words, with no note', async (t) => {
  t.same(dashboard.denialInWords('ticket.expired'), { text: 'Vé đã hết hạn · Ticket expired' });
});

t.test('a code from a newer gate that the dashboard has no words for shows as the code, noted as such', async (t) => {
  t.same(dashboard.denialInWords('ticket.revoked'), { text: 'ticket.revoked', note: dashboard.NO_WORDS_NOTE });
  t.match(dashboard.NO_WORDS_NOTE, /chưa có mô tả.*no words/);
});

t.test('a code named like an Object property is not taken for words', async (t) => {
  for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
    t.same(dashboard.denialInWords(code), { text: code, note: dashboard.NO_WORDS_NOTE }, code);
});
