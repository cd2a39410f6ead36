// Waiting for one event in a test: the deadline only turns a hang into a failure, it is not a speed requirement.
import type { EventEmitter } from 'node:events';

export function nextEvent(
  emitter: EventEmitter<any>,
  event: string,
  match: (...args: any[]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no matching '${event}' event within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const listener = (...args: any[]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}
