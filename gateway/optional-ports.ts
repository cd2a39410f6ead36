// The optional ports a site's config asks for, each loaded only when asked: the chip trust store (passive
// authentication), the watchlist, and the face pipeline with its cameras and enrollment. A file that the
// config names but that cannot be used refuses the start (StartRefused, naming the key).
import type { Logger } from 'pino';
import type { Camera } from '../drivers/camera/index.js';
import { MjpegCamera } from '../drivers/camera/mjpeg-camera.js';
import { SnapshotCamera } from '../drivers/camera/snapshot-camera.js';
import { resolveSecret } from './config/load.js';
import type { GatewayConfig } from './config/schema.js';
import { PassiveAuthChipCheck } from './credentials/chip.js';
import { loadTrustStore } from './credentials/icao/index.js';
import { EnrollmentStore } from './face/enrollment.js';
import { parseEnrollmentKey } from './face/enrollment-crypto.js';
import { cameraKey, type FaceCheckDeps, PipelineFaceCheck } from './face/face-check.js';
import { FaceEvidence } from './face/face-evidence.js';
import { DEFAULT_CACHE_DIR } from './face/model-files.js';
import { FacePipeline } from './face/pipeline.js';
import { loadThresholds } from './face/thresholds.js';
import { type Feature, StartRefused } from './feature.js';
import { enrollmentRoutes } from './http/enrollment-routes.js';
import { registerFacePhotoRoutes } from './http/face-photo-routes.js';
import type { HttpPlugin } from './http-front.js';
import { ed25519KeyReloader } from './jwks-reloader.js';
import type { ChipCheck } from './lane/ports.js';
import type { EventStore } from './store/event-store.js';
import { Watchlist } from './watchlist.js';

export async function chipCheck(config: GatewayConfig, logger: Logger): Promise<ChipCheck | undefined> {
  if (!config.chip) return undefined;
  const trust = await loadTrustStore(config.chip.trustStore);
  if (!trust.ok) throw new StartRefused(`chip.trustStore: ${trust.detail ?? trust.reason}`);
  logger.info(
    { trustStore: config.chip.trustStore, anchors: trust.value.certificates.length },
    'chip trust store loaded',
  );
  return new PassiveAuthChipCheck(() => trust.value);
}

export function loadWatchlist(config: GatewayConfig, logger: Logger): Watchlist | undefined {
  if (!config.watchlist) return undefined;
  const signerKeys = ed25519KeyReloader(config.watchlist.signerJwksFile, 'watchlist signer keys', logger);
  const watchlist = new Watchlist(signerKeys, config.site.id);
  if (config.watchlist.file) {
    const loaded = watchlist.loadFile(config.watchlist.file);
    if (loaded.ok) logger.info(loaded.value, 'watchlist loaded');
    else logger.warn({ reason: loaded.reason, detail: loaded.detail }, 'watchlist file not loaded');
  }
  return watchlist;
}

export interface FaceParts {
  check: PipelineFaceCheck;
  /** The lanes' cameras, started before the lanes. */
  cameras: Feature;
  /** Enrollment's routes, when enrollment is on. */
  routes: HttpPlugin;
}

/** Face models, thresholds, cameras and enrollment: loaded only where a lane asks for faces or enrollment is on. */
export async function buildFace(
  config: GatewayConfig,
  logger: Logger,
  store: EventStore,
  prompt?: FaceCheckDeps['prompt'],
): Promise<FaceParts | undefined> {
  const needsFace = config.gate.lanes.some((l) =>
    [l.entry, l.exit].some((side) => (side?.face.requireFor.length ?? 0) > 0),
  );
  if (!needsFace && !config.face.enrollmentKey) return undefined;
  // The liveness burst is the only user of the chosen landmark source; without a liveness lane the dense mesh
  // (a wasm runtime and two graphs) is not loaded at start, nor needed on disk.
  const needsLiveness = config.gate.lanes.some((l) =>
    [l.entry, l.exit].some((side) => (side?.face.requireFor.length ?? 0) > 0 && side?.face.liveness !== 'off'),
  );
  const landmarks = needsLiveness ? config.face.landmarks : 'ibug68';
  const pipeline = await FacePipeline.load({
    modelsDir: config.face.modelsDir ?? DEFAULT_CACHE_DIR,
    ...(landmarks ? { landmarks } : {}),
  });
  const thresholds = await loadThresholds(config.face.thresholdsFile);
  const cameras = new Map<string, Camera>();
  for (const lane of config.gate.lanes) {
    for (const [direction, side] of [
      ['in', lane.entry],
      ['out', lane.exit],
    ] as const) {
      const cam = side?.camera;
      if (!cam) continue;
      cameras.set(
        cameraKey(lane.id, direction),
        cam.kind === 'mjpeg'
          ? new MjpegCamera({ url: cam.url, timeoutMs: cam.timeoutMs })
          : new SnapshotCamera({ url: cam.url, timeoutMs: cam.timeoutMs }),
      );
    }
  }
  let enrollment: EnrollmentStore | undefined;
  if (config.face.enrollmentKey) {
    const key = parseEnrollmentKey(resolveSecret(config.face.enrollmentKey));
    if (!key.ok) throw new StartRefused(`face.enrollmentKey: ${key.detail}`);
    // On a log file re-opened empty (deleted or replaced) the migrations make the tables again; the
    // templates in memory still serve.
    const templates = new EnrollmentStore({
      repo: store.repos.enrollment,
      key: key.value,
      keyId: config.store.personal.keyId,
    });
    logger.info({ loaded: templates.load() }, 'enrolled templates loaded');
    enrollment = templates;
  }
  // The frames behind recent face decisions, in memory only, for the security role's review.
  const evidence = new FaceEvidence();
  return {
    check: new PipelineFaceCheck({ pipeline, thresholds, cameras, enrollment, evidence, prompt }),
    cameras: {
      name: 'face',
      start: async () => {
        await Promise.all([...cameras.values()].map((c) => c.start()));
      },
      stop: async () => {
        await Promise.allSettled([...cameras.values()].map((c) => c.stop()));
      },
    },
    routes: async (app, core) => {
      await registerFacePhotoRoutes(app, core, evidence);
      if (enrollment)
        await app.register(enrollmentRoutes, {
          enrollment,
          pipeline,
          authorize: () => core.auth.require('admin'),
          bodyLimit: core.config.http.bodyLimitBytes,
        });
    },
  };
}
