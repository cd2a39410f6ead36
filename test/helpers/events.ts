// Waiting for one event in a test: the deadline only turns a hang into a failure, it is not a speed requirement.
import type { EventEmitter } from 'node:events';

export function nextEvent(
  // biome-ignore lint/suspicious/noExplicitAny: any emitter, typed or not
  emitter: EventEmitter<any>,
  event: string,
  // biome-ignore lint/suspicious/noExplicitAny: the event's own arguments
  match: (...args: any[]) => boolean = () => true,
  timeoutMs = 5000,
  // biome-ignore lint/suspicious/noExplicitAny: the event's own arguments
): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no matching '${event}' event within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    // biome-ignore lint/suspicious/noExplicitAny: the event's own arguments
    const listener = (...args: any[]) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    emitter.on(event, listener);
  });
}
