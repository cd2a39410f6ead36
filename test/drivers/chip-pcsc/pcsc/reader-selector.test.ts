import t from 'tap';
import { parseReaderSelector } from '../../../../drivers/chip-pcsc/pcsc/reader-selector.js';

const matcher = (selector: string) => {
  const parsed = parseReaderSelector(selector);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.value;
};
const ACR1252 = 'ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00';

t.test('a plain name matches exactly', async (t) => {
  t.ok(matcher(ACR1252)(ACR1252));
  t.notOk(matcher('ACS ACR1252')(ACR1252));
});

t.test('a regex between slashes matches anywhere, with its flags', async (t) => {
  t.ok(matcher('/ACS ACR1252/')(ACR1252));
  t.ok(matcher('/acr1252 .*picc/i')(ACR1252));
  t.notOk(matcher('/ACR122U/')(ACR1252));
});

t.test('a glob matches the whole name', async (t) => {
  t.ok(matcher('ACS ACR1252*PICC] 0? 00')(ACR1252));
  t.notOk(matcher('ACR1252*')(ACR1252));
  t.ok(matcher('*[ACR1252 Dual Reader PICC]*')(ACR1252), 'brackets in a glob are literal');
});

t.test('an empty selector or a broken regex is refused with a reason', async (t) => {
  t.match(parseReaderSelector(''), { ok: false, reason: 'reader.bad-selector' });
  t.match(parseReaderSelector('/ACS (ACR/'), { ok: false, reason: 'reader.bad-selector' });
});
