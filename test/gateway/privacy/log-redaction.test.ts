// The gateway's logger drops personal fields that slip into a log object (Decree 13/2023: no raw ID, name or
// QR text in logs). The values are SYNTHETIC.
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { createLogger } from '../../../gateway/logger.js';

const ID = '035099000123'; // SYNTHETIC
const NAME = 'Nguyễn Văn Thử'; // SYNTHETIC
const QR = `${ID}||${NAME}|01011999|Nam|Phủ Lý, Hà Nam|01072021`;

function capture(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, log: createLogger('info', sink) };
}

const clean = (t: Test, text: string): void => {
  t.notMatch(text, ID, 'no ID number');
  t.notMatch(text, NAME, 'no name');
  t.notMatch(text, 'Phủ Lý', 'no QR text');
};

t.test('a log line with idNumber, name and qrText fields shows none of them', async (t) => {
  const { lines, log } = capture();
  log.info({ idNumber: ID, name: NAME, qrText: QR, lane: 'L1' }, 'decision');
  const text = lines.join('');
  clean(t, text);
  t.match(JSON.parse(text), { idNumber: '[redacted]', name: '[redacted]', qrText: '[redacted]', lane: 'L1' });
});

t.test('personal fields one and two levels down are redacted too', async (t) => {
  const { lines, log } = capture();
  log.warn({ person: { idNumber: ID, fullName: NAME }, req: { body: { qr: QR, text: QR } } }, 'refused');
  clean(t, lines.join(''));
});

t.test('passwords, bearer tokens and session cookies are redacted', async (t) => {
  const { lines, log } = capture();
  log.warn(
    {
      body: { name: 'op', password: 'operator-pass-0001' },
      req: { headers: { authorization: 'Bearer DEMO-staff-token-0001', cookie: 'gate06-session=abc123' } },
    },
    'login',
  );
  const text = lines.join('');
  t.notMatch(text, 'operator-pass-0001');
  t.notMatch(text, 'DEMO-staff-token-0001');
  t.notMatch(text, 'abc123');
});

t.test('a child logger (a channel) redacts the same fields', async (t) => {
  const { lines, log } = capture();
  log.child({ channel: 'lane' }).info({ idNumber: ID, name: NAME }, 'x');
  clean(t, lines.join(''));
});

t.test('personal fields three levels down are redacted', async (t) => {
  const { lines, log } = capture();
  log.info({ a: { b: { c: { idNumber: ID } } } }, 'deep');
  t.notMatch(lines.join(''), ID);
});

t.test('name parts and birth dates under their own keys are redacted', async (t) => {
  const { lines, log } = capture();
  log.info({ surname: 'Nguyễn', givenNames: 'Văn Thử', dateOfBirth: '1999-01-01' }, 'card');
  const text = lines.join('');
  t.notMatch(text, 'Văn Thử');
  t.notMatch(text, '1999-01-01');
});
