// The gateway's HTTP server as two steps of the start order: its routes are registered early (the console
// hooks the bus and the auth as it registers), it listens late and closes first, so no decision arrives over
// HTTP before the lanes run or after they stop.
import type { FastifyInstance } from 'fastify';
import type { Feature } from './feature.js';
import { type GatewayCore, VERSION } from './gateway.js';
import { eventsRoutes } from './http/events-routes.js';
import { healthRoutes } from './http/health-routes.js';
import { createHttpServer } from './http/server.js';
import { verifyRoutes } from './http/verify-routes.js';

/** An HTTP plugin of the gateway (the console, enrollment's routes, a caller's own). */
export type HttpPlugin = (app: FastifyInstance, core: GatewayCore) => Promise<void>;

/** The built-in routes (health, verify, events), then the plugins in their order. */
export class HttpFront {
  private app?: FastifyInstance;
  private closed = false;

  constructor(
    private readonly core: GatewayCore,
    private readonly plugins: readonly HttpPlugin[],
  ) {}

  get url(): string {
    const addr = this.app?.server.address();
    return addr && typeof addr === 'object'
      ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
      : '';
  }

  readonly routes: Feature = {
    name: 'http routes',
    start: async () => {
      const { core } = this;
      const { config } = core;
      const app = await createHttpServer({
        limits: config.http,
        logger: core.logger,
        title: 'gate06 gateway',
        version: VERSION,
        onRefused: (error) => core.bus.emit('input.rejected', { source: 'http', reason: error }),
      });
      this.app = app;
      await app.register(healthRoutes, { core, version: VERSION });
      await app.register(verifyRoutes, {
        decisions: core.decisions,
        lanes: core.lanes,
        auth: core.auth,
        bodyLimit: config.http.bodyLimitBytes,
      });
      await app.register(eventsRoutes, { store: core.store, audit: core.audit, auth: core.auth });
      for (const plugin of this.plugins) await plugin(app, core);
    },
    // A start that failed before listening still has a server to close.
    stop: () => this.close(),
  };

  readonly listener: Feature = {
    name: 'http listener',
    start: async () => {
      await this.app!.listen({ host: this.core.config.http.host, port: this.core.config.http.port });
    },
    stop: () => this.close(),
  };

  private async close(): Promise<void> {
    if (this.closed || !this.app) return;
    this.closed = true;
    await this.app.close();
  }
}
