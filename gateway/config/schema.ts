// The gateway's configuration: the single source of truth for keys, types and defaults.
// Every default lives here once; `config/gateway.example.yaml` documents each key.
import { z } from 'zod';
import { MqttConnection } from '../../contracts/mqtt-connection.js';
import { SecretRef } from '../../contracts/secrets.js';
import { CategoryMinCount } from '../../contracts/small-cells.js';
import { SerialPortConfig } from '../../drivers/serial/config.js';
import { TurnstileConfig } from '../../drivers/turnstile/config.js';

// Parts this schema composes but does not own: secret references, the broker connection and Direction are
// contracts the collector shares (contracts/); a serial port and a turnstile board are what their drivers
// need (drivers/). Re-exported so that gateway files keep importing the config's types from here.
export { Direction } from '../../contracts/direction.js';
export { MqttConnection } from '../../contracts/mqtt-connection.js';
export { SecretRef } from '../../contracts/secrets.js';
export { SerialPortConfig } from '../../drivers/serial/config.js';
export { TurnstileConfig } from '../../drivers/turnstile/config.js';

export const CredentialKind = z.enum(['ticket', 'cccd-qr', 'chip']);
export type CredentialKind = z.infer<typeof CredentialKind>;

export const FacePolicy = z
  .object({
    /** Credential kinds that need a live face matched before the lane opens. */
    requireFor: z.array(CredentialKind).default([]),
    /** Target false-match rate; mapped to a similarity threshold by `gate06 face eval` (models/thresholds.json). */
    targetFmr: z.enum(['1e-2', '1e-3', '1e-4']).default('1e-3'),
    liveness: z.enum(['off', 'advisory', 'required']).default('off'),
    /** 1:N search against enrolled people when the credential carries no photo (industrial parks). */
    identifyEnrolled: z.boolean().default(false),
  })
  .strict();
export type FacePolicy = z.infer<typeof FacePolicy>;

export const CameraConfig = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('snapshot'),
      url: z.string().url(),
      timeoutMs: z.number().int().positive().default(1500),
    })
    .strict(),
  z
    .object({ kind: z.literal('mjpeg'), url: z.string().url(), timeoutMs: z.number().int().positive().default(1500) })
    .strict(),
]);
export type CameraConfig = z.infer<typeof CameraConfig>;

/**
 * A CCCD chip reader on the PC/SC path (issue #13): the gateway itself runs PACE with the CAN from the QR,
 * chip authentication and the file reads through pcscd. The serial `{ path, baudRate }` form stays for vendor
 * boxes that do the radio work themselves.
 */
export const PcscChipReaderConfig = z
  .object({
    pcsc: z
      .object({
        /** Exact reader name, a glob ("ACS ACR1252*") or a regex between slashes ("/ACS ACR1252/i"). */
        reader: z.string().min(1),
        /** 'auto' decides per card from the reader's name and the ATR (drivers/chip-pcsc/pcsc/extended-length.ts). */
        extendedLength: z.union([z.literal('auto'), z.boolean()]).default('auto'),
      })
      .strict(),
  })
  .strict();
export type PcscChipReaderConfig = z.infer<typeof PcscChipReaderConfig>;
export const isPcscChipReader = (c: SerialPortConfig | PcscChipReaderConfig): c is PcscChipReaderConfig => 'pcsc' in c;

export const LaneSide = z
  .object({
    qrScanner: SerialPortConfig.optional(),
    chipReader: z.union([SerialPortConfig, PcscChipReaderConfig]).optional(),
    /**
     * PC/SC chip lanes: how long after the CCCD QR scan the person has to put the card on the reader before
     * the lane denies with chip.timeout. 10 s covers finding the card in a wallet; a queue should not wait longer.
     */
    chipReadTimeoutMs: z.number().int().min(1000).max(120_000).default(10_000),
    camera: CameraConfig.optional(),
    /** Which credentials may open this side of the lane (site rules). */
    accepts: z.array(CredentialKind).min(1).default(['ticket']),
    face: FacePolicy.default({ requireFor: [], targetFmr: '1e-3', liveness: 'off', identifyEnrolled: false }),
  })
  .strict();
export type LaneSide = z.infer<typeof LaneSide>;

/** A lane id, as configured and as every API that names a lane accepts it. */
export const LaneId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, - and _ only (1-32)');

export const LaneConfig = z
  .object({
    id: LaneId,
    /** The zone this lane leads into (direction in) and out of (direction out). */
    zone: z.string().min(1),
    entry: LaneSide.optional(),
    exit: LaneSide.optional(),
    turnstile: TurnstileConfig,
    /** Time allowed to walk through after an unlock before the lane re-locks and logs a timeout. */
    passageTimeoutMs: z.number().int().min(1000).max(60000).default(8000),
    /** A passage sensor held active longer than this raises a door-held alarm. */
    doorHeldMs: z.number().int().min(1000).max(300000).default(15000),
  })
  .strict()
  .refine((l) => l.entry !== undefined || l.exit !== undefined, { message: 'a lane needs an entry or an exit side' });
export type LaneConfig = z.infer<typeof LaneConfig>;

export const ZoneConfig = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, - and _ only (1-40)'),
    name: z.string().default(''),
    /** Occupancy resets to zero at this local time each day (HH:MM), or never. */
    occupancyResetAt: z.union([z.string().regex(/^\d\d:\d\d$/), z.literal('never')]).default('never'),
  })
  .strict();

export const SiteConfig = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and - only (1-40)'),
    name: z.string().default(''),
    kind: z.enum(['tourist', 'industrial', 'station']),
    zones: z.array(ZoneConfig).min(1),
    /** HMAC key for keyed ID hashes; the same key across a site's gates so anti-passback and search work site-wide. */
    idHashKey: SecretRef,
    timezone: z.string().default('Asia/Ho_Chi_Minh'),
  })
  .strict();

export const PolicyConfig = z
  .object({
    antiPassback: z
      .object({
        enabled: z.boolean().default(true),
        /** hard: deny a second entry without an exit; soft: allow and raise an alarm. */
        mode: z.enum(['hard', 'soft']).default('hard'),
        /** Presence older than this is forgotten (a person who left by another route). */
        resetAfterS: z
          .number()
          .int()
          .positive()
          .default(12 * 3600),
      })
      .strict()
      .default({ enabled: true, mode: 'hard', resetAfterS: 12 * 3600 }),
    /** Whether the printed (unsigned) CCCD QR may open a lane on its own. */
    cccdQrOpens: z.boolean().default(true),
    /** Station: a ticket bound to an ID may be matched against a CCCD QR, not only a verified chip. */
    bindingAcceptsQr: z.boolean().default(false),
    /** What a lane does on a watchlist hit: alarm only (silent) or deny as well. */
    watchlistAction: z.enum(['alarm', 'deny']).default('alarm'),
    /** A chip whose document has expired: deny, or allow with the state recorded. */
    expiredDocument: z.enum(['deny', 'allow']).default('deny'),
    /**
     * A chip with neither chip nor active authentication cannot be told from a copy of its files (PC/SC lanes).
     * deny: refuse it (chip.clone-not-excluded); allow-with-face: let the face match against DG2 decide on lanes
     * that check faces for chips, deny elsewhere; allow: accept on passive authentication alone.
     */
    chipCloneNotExcluded: z.enum(['deny', 'allow-with-face', 'allow']).default('allow-with-face'),
  })
  .strict();
export type PolicyConfig = z.infer<typeof PolicyConfig>;

/**
 * The gateway's HTTP API (gateway/http/): who may call it and how much an unauthenticated caller can cost.
 * Every caller is identified before its body is read (a 401 never parses anything), and every body, header
 * and connection is bounded, so a sender on the LAN cannot stall the event loop that the lanes share.
 */
export const HttpConfig = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
    /**
     * POST /v1/verify and enrollment photos: a chip credential (SOD, DG1, DG2 portrait) with a live face JPEG,
     * all base64 in JSON. The verify schema allows a 1.5 MiB face (2 MiB of base64) plus ~0.6 MiB of chip data.
     */
    bodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(16 * 1024 * 1024)
      .default(3 * 1024 * 1024),
    /** POST /v1/auth/login: a name and a password, a few hundred bytes. */
    loginBodyLimitBytes: z.number().int().min(256).max(65536).default(4096),
    /** Every other route (console actions, log searches, user admin): small JSON filters and reasons. */
    smallBodyLimitBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(16384),
    /** JSON nested deeper than this is refused before JSON.parse recurses into it; our bodies nest 4 levels. */
    jsonMaxDepth: z.number().int().min(4).max(512).default(32),
    timeouts: z
      .object({
        /** All request headers must arrive within this (slow-loris headers). */
        headersMs: z.number().int().min(100).max(120_000).default(10_000),
        /** The whole request, body included, must arrive within this: a body dribbled a byte at a time is cut. */
        requestMs: z.number().int().min(100).max(600_000).default(30_000),
        /** A connection with no traffic either way is closed; the live stream's heartbeat keeps it busy. */
        idleMs: z.number().int().min(1000).max(3_600_000).default(60_000),
        /** How long an idle keep-alive connection waits for its next request. */
        keepAliveMs: z.number().int().min(100).max(600_000).default(5_000),
      })
      .strict()
      .prefault({})
      .refine((t) => t.headersMs <= t.requestMs, { message: 'headersMs must not exceed requestMs' }),
    /** Open connections at once; more are dropped on accept. Readers keep one each, consoles a few. */
    maxConnections: z.number().int().min(4).max(65_536).default(256),
    /**
     * Open connections at once from one source address; more are destroyed on accept, so one host cannot take
     * every slot. The last eighth of maxConnections is kept for sources holding fewer than 4.
     */
    maxConnectionsPerSource: z.number().int().min(1).max(65_536).default(32),
    liveStreams: z
      .object({
        /** Open /v1/live streams in all: each costs bus listeners and a socket. */
        max: z.number().int().min(1).max(1000).default(50),
        /** Per user (console session) or token, so one principal cannot take every slot. */
        perPrincipal: z.number().int().min(1).max(100).default(4),
      })
      .strict()
      .prefault({}),
    /** Source addresses that may scrape /metrics without a token (a Prometheus on the box: ["127.0.0.1"]). */
    metricsOpenTo: z.array(z.ipv4().or(z.ipv6())).default([]),
    /** Bearer tokens for readers and handhelds: POST /v1/verify only. */
    deviceTokens: z.array(SecretRef).default([]),
    /** Bearer tokens for integrations that read the entry log and export it; nothing else. */
    integrationTokens: z.array(SecretRef).default([]),
    /** Deprecated: the former name of integrationTokens, still accepted with a warning at start. */
    staffTokens: z.array(SecretRef).default([]),
  })
  .strict()
  .prefault({});
export type HttpConfig = z.infer<typeof HttpConfig>;

export const GatewayConfig = z
  .object({
    site: SiteConfig,
    gate: z
      .object({
        id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'lower-case letters, digits and - only (1-40)'),
        lanes: z.array(LaneConfig).min(1),
      })
      .strict(),
    devices: z
      .object({
        /** A device is offline only after this much silence: OSDP stacks that gave up sooner flapped. */
        offlineAfterMs: z.number().int().min(100).default(3000),
        reconnectInitialMs: z.number().int().min(10).default(250),
        reconnectMaxMs: z.number().int().min(100).default(10000),
        qrMaxLength: z.number().int().min(16).max(8192).default(2048),
        qrInterByteTimeoutMs: z.number().int().min(5).max(5000).default(100),
      })
      .strict()
      .default({
        offlineAfterMs: 3000,
        reconnectInitialMs: 250,
        reconnectMaxMs: 10000,
        qrMaxLength: 2048,
        qrInterByteTimeoutMs: 100,
      }),
    tickets: z
      .object({
        jwksFile: z.string().min(1),
        clockSkewS: z.number().int().min(0).max(3600).default(60),
        /** Tokens whose signature was already checked, kept so a repeat presentation skips the Ed25519 check; 0: none. */
        rememberVerified: z.number().int().min(0).max(1_000_000).default(10_000),
      })
      .strict(),
    chip: z
      .object({
        /** Folder of CSCA certificates and/or ICAO master list files. */
        trustStore: z.string().min(1),
      })
      .strict()
      .optional(),
    watchlist: z
      .object({
        file: z.string().optional(),
        /** Ed25519 public key (JWK JSON file) of the IOC that signs watchlists. */
        signerJwksFile: z.string().min(1),
      })
      .strict()
      .optional(),
    policy: PolicyConfig.default({
      antiPassback: { enabled: true, mode: 'hard', resetAfterS: 12 * 3600 },
      cccdQrOpens: true,
      bindingAcceptsQr: false,
      watchlistAction: 'alarm',
      expiredDocument: 'deny',
      chipCloneNotExcluded: 'allow-with-face',
    }),
    store: z
      .object({
        path: z.string().min(1).default('var/gate06.db'),
        retentionDays: z.number().int().min(1).default(90),
        maxSizeMb: z.number().int().min(1).default(512),
        /** WAL checkpoint threshold; the WAL is truncated after each checkpoint so it stays bounded. */
        walMaxMb: z.number().int().min(1).default(16),
        // The store failing closed (issue #11): a lock is waited out synchronously for at most busyTimeoutMs
        // (better-sqlite3 blocks the event loop meanwhile), then the store is unavailable and probed every
        // probeEveryMs; the file's identity is checked every checkEveryMs; disk-space-low is raised below
        // minFreeMb or minFreePercent free on the store's file system.
        busyTimeoutMs: z.number().int().min(0).max(1000).default(100),
        probeEveryMs: z.number().int().min(50).max(10_000).default(250),
        checkEveryMs: z.number().int().min(100).max(60_000).default(1000),
        minFreeMb: z.number().int().min(0).default(256),
        minFreePercent: z.number().min(0).max(50).default(5),
        // quick_check of every page on the checkpoint worker's connection (0: never); damage makes the store
        // unavailable (`corrupt`). Measured 0.55-0.7 s per 100 MB on the 2-core box, off the event loop.
        quickCheckEveryMin: z.number().int().min(0).max(1440).default(10),
        /** Personal fields kept encrypted for sites that must (off by default: data minimisation). */
        personal: z
          .object({
            enabled: z.boolean().default(false),
            retentionDays: z.number().int().min(1).default(30),
            key: SecretRef.optional(),
            keyId: z.string().default('k1'),
          })
          .strict()
          .default({ enabled: false, retentionDays: 30, keyId: 'k1' }),
      })
      .strict()
      .default({
        path: 'var/gate06.db',
        retentionDays: 90,
        maxSizeMb: 512,
        walMaxMb: 16,
        busyTimeoutMs: 100,
        probeEveryMs: 250,
        checkEveryMs: 1000,
        minFreeMb: 256,
        minFreePercent: 5,
        quickCheckEveryMin: 10,
        personal: { enabled: false, retentionDays: 30, keyId: 'k1' },
      }),
    http: HttpConfig,
    mqtt: MqttConnection.extend({
      windowSeconds: z.number().int().min(5).max(3600).default(60),
      outboxMax: z.number().int().min(10).default(10000),
      healthIntervalS: z.number().int().min(1).default(30),
      /**
       * Counts by nationality, age band and sex are published for a lane and window only when each non-empty
       * cell has at least this many people; otherwise that breakdown is sent as `withheld` (1: everything shown).
       * The rule and why 3 by default: contracts/small-cells.ts.
       */
      categoryMinCount: CategoryMinCount,
      /**
       * 5 (with a broker that speaks it, such as Mosquitto 2): the gateway tells the broker the largest packet
       * it takes, so an oversized command is dropped by the broker instead of read into the box's memory.
       * 4 (MQTT 3.1.1, the default): works with every broker, the demo's embedded one included.
       */
      protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
      /**
       * The IOC's public JWKS: inbound commands must be Ed25519 JWS signed by one of its keys. Without it (and
       * without insecureUnsignedCommands) the gate takes no IOC commands at all; it still publishes telemetry.
       */
      commandSignerJwksFile: z.string().optional(),
      /**
       * true: unsigned commands are obeyed, so anyone who can publish to the broker can put lanes into free
       * passage (issue #11, finding 1). For a closed lab broker only; warned about at every start and in health.
       */
      insecureUnsignedCommands: z.boolean().default(false),
      /**
       * Commands per minute per verb (token bucket, burst = the same number). Far above what an IOC sends in
       * honest use; they bound what a leaked key or a runaway IOC script can do to a gate.
       */
      commandRateLimits: z
        .object({
          'free-passage': z.number().int().min(1).max(600).default(20),
          resend: z.number().int().min(1).max(600).default(4),
          watchlist: z.number().int().min(1).max(600).default(6),
        })
        .strict()
        .prefault({}),
      /**
       * This gate's Ed25519 private key (PKCS#8 PEM or JWK) for signing everything it publishes (docs/mqtt/README.md,
       * "Signed publications"). The collector refuses what is unsigned; without a key the gate publishes unsigned
       * and warns at start.
       */
      signingKey: SecretRef.optional(),
    })
      .strict()
      .optional(),
    face: z
      .object({
        /** Default: models/cache in the gate06 installation. */
        modelsDir: z.string().optional(),
        /** Default: models/thresholds.json in the gate06 installation. */
        thresholdsFile: z.string().optional(),
        /**
         * The liveness burst's landmarks: `faceMesh` (dense mesh on a 192x192 crop, the default) or `ibug68` (the
         * 68-point model on 64x64). Each has its own calibrated thresholds (docs/liveness.md, "Landmark sources").
         */
        landmarks: z.enum(['faceMesh', 'ibug68']).optional(),
        enrollmentKey: SecretRef.optional(),
      })
      .strict()
      .default({}),
    log: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.mqtt?.insecureUnsignedCommands && cfg.mqtt.commandSignerJwksFile) {
      ctx.addIssue({
        code: 'custom',
        path: ['mqtt', 'insecureUnsignedCommands'],
        message: 'contradicts mqtt.commandSignerJwksFile: with a signer, commands must be signed; remove one of them',
      });
    }
    const zones = new Set(cfg.site.zones.map((z) => z.id));
    const laneIds = new Set<string>();
    cfg.gate.lanes.forEach((lane, i) => {
      if (!zones.has(lane.zone)) {
        ctx.addIssue({ code: 'custom', path: ['gate', 'lanes', i, 'zone'], message: `unknown zone "${lane.zone}"` });
      }
      if (laneIds.has(lane.id)) {
        ctx.addIssue({ code: 'custom', path: ['gate', 'lanes', i, 'id'], message: `duplicate lane id "${lane.id}"` });
      }
      laneIds.add(lane.id);
      for (const side of ['entry', 'exit'] as const) {
        const s = lane[side];
        if (s?.accepts.includes('chip') && !cfg.chip) {
          ctx.addIssue({
            code: 'custom',
            path: ['gate', 'lanes', i, side, 'accepts'],
            message: 'accepts chip but no chip.trustStore is configured',
          });
        }
      }
    });
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;
