// The JSON body parser of the gateway's API: a linear scan of the nesting depth before JSON.parse, so a body
// of 2 MB of `[[[[...` costs one pass over its bytes and a 400 instead of a deep recursion in the parser and
// the validator (issue #11, finding 6). Prototype-poisoning checks stay fastify's own.
import type { FastifyError, FastifyInstance } from 'fastify';
import { JSON_TOO_DEEP } from '../../contracts/json-errors.js';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The deepest nesting of objects and arrays in `text`, counting only brackets outside strings; stops scanning
 * as soon as it passes `stopAbove` (the caller only needs to know the limit was crossed). Never throws: text
 * that is not JSON gets some depth here and its error from JSON.parse afterwards.
 */
export function jsonNestingDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > stopAbove) return deepest;
      }
    } else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

/** Replaces fastify's application/json parser with the depth-checked one. Body limits stay per route. */
export function installJsonBodyParser(app: FastifyInstance, maxDepth: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (jsonNestingDepth(text, maxDepth) > maxDepth) {
      const err = new Error(`the JSON body is nested deeper than ${maxDepth} levels`) as FastifyError;
      err.statusCode = 400;
      (err as { code: string }).code = JSON_TOO_DEEP;
      done(err, undefined);
      return;
    }
    parseJson(req, text, done);
  });
}
