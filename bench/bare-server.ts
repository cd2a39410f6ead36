// The baseline for the verify benchmark: a bare fastify route that parses the same JSON body and answers
// a fixed decision, with nothing behind it. Run as its own process, like the gateway daemon.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/verify', async () => ({ decision: 'allow', reason: 'ok', eventId: '01BARE00000000000000000000' }));
await app.listen({ host: '127.0.0.1', port: 0 });
const addr = app.server.address();
console.log(`listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
