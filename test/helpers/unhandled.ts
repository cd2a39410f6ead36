// Fails the test run on any unhandled promise rejection: the daemon must handle every one of its own
// (issue #11), so a test that provokes one has found a bug, even if its own assertions pass.
import type { Test } from 'tap';

export function failOnUnhandledRejection(t: Pick<Test, 'fail' | 'teardown'>): void {
  const onRejection = (reason: unknown): void => {
    t.fail(
      `unhandled promise rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
  };
  process.on('unhandledRejection', onRejection);
  t.teardown(() => {
    process.off('unhandledRejection', onRejection);
  });
}
