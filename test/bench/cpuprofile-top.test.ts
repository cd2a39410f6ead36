// Reading a V8 CPU profile: self time goes to the sampled frame, time with callees to every frame on its
// stack once, and frames are grouped by where their code lives.
import t from 'tap';
import { inclusiveTimes, placeOf, selfTimes } from '../../bench/cpuprofile-top.js';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });
// root → handler (gateway/http) → validate (zod) ; handler → (garbage collector)
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2] },
    { id: 2, callFrame: frame('handler', 'file:///repo/gateway/http/verify-routes.ts'), children: [3, 4] },
    { id: 3, callFrame: frame('parse', 'file:///repo/node_modules/zod/v4/core/schemas.js') },
    { id: 4, callFrame: frame('(garbage collector)', '') },
  ],
  samples: [2, 3, 3, 4],
  timeDeltas: [10, 20, 20, 5],
};

t.test('frames are grouped by package, project folder, node itself or V8 bucket', async (t) => {
  t.equal(placeOf('file:///x/node_modules/@fastify/helmet/index.js', 'f'), '@fastify/helmet');
  t.equal(placeOf('file:///x/node_modules/zod/v4/core/schemas.js', 'f'), 'zod');
  t.equal(placeOf('file:///x/gateway/http/auth.ts', 'f'), 'gateway/http');
  t.equal(placeOf('node:internal/http', 'f'), 'node');
  t.equal(placeOf('', '(garbage collector)'), '(garbage collector)');
  t.equal(placeOf('', 'writev'), '(native)');
});

t.test('self time is the sampled frame only; time with callees counts each frame on the stack', async (t) => {
  const { totalUs, byPlace } = selfTimes(profile);
  t.equal(totalUs, 55);
  t.equal(byPlace.get('zod'), 40);
  t.equal(byPlace.get('gateway/http'), 10);
  t.equal(byPlace.get('(garbage collector)'), 5);
  const incl = inclusiveTimes(profile);
  t.equal(incl.get('handler gateway/http:1'), 55, 'the handler is on the stack of every sample');
  t.equal(incl.get('parse zod:1'), 40);
});
