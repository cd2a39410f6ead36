import t from 'tap';
import { readCookie, sessionCookie } from '../../../gateway/auth/cookies.js';

t.test('readCookie finds one cookie among several and ignores malformed pairs', async (t) => {
  t.equal(readCookie('a=1; junk; gate06-session=abc_DEF-1; b=2', 'gate06-session'), 'abc_DEF-1');
  t.equal(readCookie('a=1', 'gate06-session'), null);
  t.equal(readCookie(undefined, 'x'), null);
});

t.test('readCookie refuses values outside the token alphabet', async (t) => {
  t.equal(readCookie('s=<script>', 's'), null);
});

t.test('the session cookie is HttpOnly and SameSite=Strict, and Secure only when asked', async (t) => {
  t.equal(
    sessionCookie('s', 'v', { maxAgeS: 60, secure: false }),
    's=v; Path=/; Max-Age=60; HttpOnly; SameSite=Strict',
  );
  t.match(sessionCookie('s', 'v', { maxAgeS: 60, secure: true }), /; Secure$/);
});
