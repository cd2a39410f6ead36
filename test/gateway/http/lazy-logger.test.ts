import t from 'tap';
import { lazyChildLogger } from '../../../gateway/http/lazy-logger.js';
import { createLogger } from '../../../gateway/logger.js';
import { LogCapture } from '../../helpers/harness.js';

function httpLogger() {
  const capture = new LogCapture();
  const parent = createLogger('info', capture).child({ channel: 'http' }, { level: 'warn' });
  let made = 0;
  const child = parent.child;
  // Children inherit this method from the parent, so it must keep `this` to make grandchildren right.
  parent.child = function (this: typeof parent, ...args: Parameters<typeof child>) {
    if (this === parent) made++;
    return child.apply(this, args);
  } as typeof parent.child;
  return { capture, parent, made: () => made };
}

t.test('a request that logs nothing below the level costs no child logger', async (t) => {
  const { capture, parent, made } = httpLogger();
  const log = lazyChildLogger(parent, { reqId: 'req-1' }, {});
  log.info('accepted');
  log.debug({ lane: 'L1' }, 'detail');
  t.equal(made(), 0);
  t.equal(capture.lines.length, 0);
  t.equal(log.level, 'warn');
});

t.test('a line at the level is written by a real child with the request binding and redaction', async (t) => {
  const { capture, parent, made } = httpLogger();
  const log = lazyChildLogger(parent, { reqId: 'req-2' }, {});
  log.warn({ token: 'eyJ.secret.sig' }, 'refused');
  log.error('again');
  t.equal(made(), 1, 'made once and reused');
  const lines = capture.lines.map((l) => JSON.parse(l));
  t.equal(lines.length, 2);
  t.match(lines[0], { reqId: 'req-2', channel: 'http', token: '[redacted]', msg: 'refused' });
  t.notMatch(capture.lines.join('\n'), /secret/);
});

t.test("a route's own log level is honoured", async (t) => {
  const { capture, parent } = httpLogger();
  const log = lazyChildLogger(parent, { reqId: 'req-3' }, { level: 'info' });
  log.info('accepted');
  t.equal(capture.lines.length, 1);
  t.equal(log.level, 'info');
  const grandchild = log.child({ step: 'decide' });
  grandchild.info('deciding');
  t.match(JSON.parse(capture.lines[1]!), { reqId: 'req-3', step: 'decide' });
});
