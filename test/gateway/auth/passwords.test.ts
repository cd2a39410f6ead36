import t from 'tap';
import { hashPassword, parseHash, passwordProblem, verifyPassword } from '../../../gateway/auth/passwords.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 }; // low cost for speed; the format and checks are the same

t.test('a hash verifies its own password and no other', async (t) => {
  const h = await hashPassword('correct horse battery', FAST);
  t.equal(await verifyPassword('correct horse battery', h), true);
  t.equal(await verifyPassword('correct horse batterY', h), false);
});

t.test('the same password hashes differently each time (per-user salt)', async (t) => {
  t.not(await hashPassword('same-password-1', FAST), await hashPassword('same-password-1', FAST));
});

t.test('the cost parameters are stored with the hash', async (t) => {
  const h = await hashPassword('param-check-01', FAST);
  t.match(h, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  t.same(parseHash(h)?.params, FAST);
});

t.test('a malformed or absurd stored hash never verifies', async (t) => {
  t.equal(await verifyPassword('x', 'plain-text'), false);
  t.equal(await verifyPassword('x', 'scrypt$3$8$1$AA$AA'), false, 'N not a power of two');
  t.equal(await verifyPassword('x', 'scrypt$1073741824$8$1$AA$AA'), false, 'N too large');
});

t.test('passwords shorter than 10 characters are refused', async (t) => {
  t.type(passwordProblem('short'), 'string');
  t.equal(passwordProblem('long-enough-1'), null);
});
