// The simulated gate camera: an HTTP server on 127.0.0.1 that serves `/snapshot.jpg` and `/mjpeg`
// (multipart/x-mixed-replace) from face photos, so the real camera drivers and the real face pipeline
// run end to end without hardware.
//
// What the scenes are, honestly:
// - live(photos): NOT a live person. It is one photo with synthetic blinks (the upper lid comes down along
//   the eye's arc as lid skin with a dark lash line at its edge, until only the lash line is left) and mouth
//   motion (the lower lip region is stretched down and the gap darkened), both placed by the photo's own
//   landmarks; or, without landmarks, different photos of the same person in turn. It gives the landmark
//   model non-rigid facial change to find; it says nothing about how a real face, real skin or a real camera
//   behave. Blinks come every 0.8 s at 10 fps, faster than people blink (about one per 3.5 s at rest), so a
//   short burst always holds one.
// - blinkWhenAsked(photo, features): a person keeping still (the same frames as stillPhoto) who blinks once,
//   about 0.3 s after the lane's prompt.
// - stillPhoto(photo): the same photo each frame with pixel noise and a varying JPEG quality, which is
//   what a printed photo held on a stand in front of a camera gives: landmark jitter and nothing else.
// - heldPhoto(photo): a printed photo held up by hand, which trembles by a few pixels.
// - movingPhoto(photo): the photo on a grey wall, translated, rotated and scaled as one rigid object
//   from frame to frame: a photo moved in the hand (without the perspective tilt a real hand adds).
// - empty(): a grey wall with noise and no face.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';

export const FRAME_WIDTH = 640;
export const FRAME_HEIGHT = 480;

interface Raw {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
}

/** Eye and mouth regions in photo pixels, used to synthesise blinks and mouth motion. */
export interface FaceFeatures {
  /** `height`: the open eye's, corner landmarks excluded; about a third of the width when absent. */
  eyes: Array<{ cx: number; cy: number; width: number; height?: number }>;
  mouth: { cx: number; cy: number; width: number; height: number };
}

export interface Scene {
  readonly name: string;
  /** The JPEG for frame `index` of this scene (frames are generated, not stored). */
  frame(index: number): Promise<Buffer>;
}

/** Eye and mouth regions from a 68-point landmark set (iBUG order, x/y interleaved). */
export function featuresFromLandmarks(l: Float32Array): FaceFeatures {
  const span = (from: number, to: number) => {
    let x0 = Infinity,
      x1 = -Infinity,
      y0 = Infinity,
      y1 = -Infinity;
    for (let i = from; i <= to; i++) {
      x0 = Math.min(x0, l[2 * i]);
      x1 = Math.max(x1, l[2 * i]);
      y0 = Math.min(y0, l[2 * i + 1]);
      y1 = Math.max(y1, l[2 * i + 1]);
    }
    return { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, width: x1 - x0, height: y1 - y0 };
  };
  const r = span(36, 41),
    le = span(42, 47),
    m = span(48, 59);
  return { eyes: [r, le].map(({ cx, cy, width, height }) => ({ cx, cy, width, height })), mouth: m };
}

async function decodeInside(photo: Buffer, maxW: number, maxH: number): Promise<{ raw: Raw; scale: number }> {
  const meta = await sharp(photo).metadata();
  const { data, info } = await sharp(photo)
    .rotate()
    .resize({ width: maxW, height: maxH, fit: 'inside', withoutEnlargement: false })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = info.channels === 3 ? data : toRgb(data, info.channels);
  const scale = info.width / (meta.autoOrient?.width ?? meta.width ?? info.width);
  return { raw: { data: raw, width: info.width, height: info.height }, scale };
}

function toRgb(data: Uint8Array, channels: number): Uint8Array {
  const n = data.length / channels;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < 3; c++) out[3 * i + c] = data[i * channels + Math.min(c, channels - 1)];
  return out;
}

/** Deterministic per-frame randomness, so a scene's frame i is always the same picture. */
function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/**
 * Draw `src` onto a grey canvas through a similarity transform about its centre (bilinear), then add
 * sensor-like noise. `place` maps the photo's centre to a canvas point.
 */
function compose(
  src: Raw,
  opts: { dx: number; dy: number; scale: number; rotation: number; noise: number; seed: number },
): Raw {
  // Clamped: with a plain Uint8Array the noise wrapped bright pixels round to black and dark ones to white,
  // salt-and-pepper specks no sensor makes.
  const out = new Uint8ClampedArray(FRAME_WIDTH * FRAME_HEIGHT * 3);
  const cos = Math.cos(-opts.rotation) / opts.scale,
    sin = Math.sin(-opts.rotation) / opts.scale;
  const ccx = FRAME_WIDTH / 2 + opts.dx,
    ccy = FRAME_HEIGHT / 2 + opts.dy;
  const scx = src.width / 2,
    scy = src.height / 2;
  const rand = rng(opts.seed);
  for (let y = 0; y < FRAME_HEIGHT; y++) {
    for (let x = 0; x < FRAME_WIDTH; x++) {
      const u = cos * (x - ccx) - sin * (y - ccy) + scx;
      const v = sin * (x - ccx) + cos * (y - ccy) + scy;
      const o = 3 * (y * FRAME_WIDTH + x);
      const n = (rand() - 0.5) * 2 * opts.noise;
      if (u < 0 || v < 0 || u > src.width - 1 || v > src.height - 1) {
        const wall = 118 + 10 * Math.sin(x / 90) + n;
        out[o] = wall;
        out[o + 1] = wall + 4;
        out[o + 2] = wall - 6;
        continue;
      }
      const x0 = Math.floor(u),
        y0 = Math.floor(v);
      const x1 = Math.min(x0 + 1, src.width - 1),
        y1 = Math.min(y0 + 1, src.height - 1);
      const fx = u - x0,
        fy = v - y0;
      for (let c = 0; c < 3; c++) {
        const a = src.data[3 * (y0 * src.width + x0) + c],
          b = src.data[3 * (y0 * src.width + x1) + c];
        const d = src.data[3 * (y1 * src.width + x0) + c],
          e = src.data[3 * (y1 * src.width + x1) + c];
        out[o + c] = (a * (1 - fx) + b * fx) * (1 - fy) + (d * (1 - fx) + e * fx) * fy + n;
      }
    }
  }
  return { data: out, width: FRAME_WIDTH, height: FRAME_HEIGHT };
}

const encode = (raw: Raw, quality: number): Promise<Buffer> =>
  sharp(Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength), {
    raw: { width: raw.width, height: raw.height, channels: 3 },
  })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();

/** Horizontal feathering weight: 1 in the middle of a region, fading to 0 at its sides. */
const feather = (x: number, cx: number, half: number): number =>
  Math.max(0, Math.min(1, 1.6 * (1 - Math.abs(x - cx) / half)));

/**
 * Closes an eye by `amount` (0..1) the way an eyelid does: the upper lid's edge comes down along the eye's
 * arc, the opening above it becomes lid skin (the skin between eye and brow, stretched down as the lid
 * unrolls), and the lid edge carries the dark line of the lashes. Closed, only a curved lash line is left
 * low in the eye, which is what a landmark model trained on real faces reads as a shut eye: in real blinks
 * the eye aspect ratio falls by 50-80 % (docs/liveness.md). The earlier version only smeared skin over the
 * eye, which left no eye at all for the model to find, so it placed an open eye's landmarks from its prior.
 */
function closeEye(img: Raw, eye: FaceFeatures['eyes'][number], amount: number): void {
  if (amount <= 0) return;
  const half = 0.6 * eye.width; // a little past the corners, where the lashes end
  const openHalfHeight = 0.5 * (eye.height ?? 0.35 * eye.width);
  const lash = Math.max(1.5, 0.06 * eye.width); // half-thickness of the lash line
  const skinGap = 0.18 * eye.width; // the lid skin comes from this far above the eye's upper edge (below the brow)
  const src = Uint8Array.from(img.data);
  const at = (x: number, y: number, c: number): number =>
    src[3 * (Math.min(img.height - 1, Math.max(0, y)) * img.width + Math.min(img.width - 1, Math.max(0, x))) + c];
  for (let x = Math.round(eye.cx - half); x <= eye.cx + half; x++) {
    if (x < 0 || x >= img.width) continue;
    const u = Math.min(1, Math.abs(x - eye.cx) / half);
    const arc = Math.sqrt(1 - u * u);
    // The open lid's edge and where it rests when closed (the lower lid's line, slightly above it).
    const top = eye.cy - openHalfHeight * arc * 1.15;
    const shut = eye.cy + 0.85 * openHalfHeight * arc;
    const edge = top + amount * (shut - top);
    const w = feather(x, eye.cx, half);
    const skinTop = top - skinGap;
    for (let y = Math.floor(skinTop); y <= Math.ceil(edge + lash); y++) {
      if (y < 0 || y >= img.height) continue;
      let mix: number[] | null = null;
      if (y <= edge) {
        // Lid skin: rows [skinTop, edge] show the skin of rows [skinTop, top], unrolled downwards.
        const sy = Math.round(skinTop + ((y - skinTop) * (top - skinTop)) / Math.max(1, edge - skinTop));
        // The lid is a little darker than the brow skin (its crease and shadow).
        mix = [0, 1, 2].map((c) => 0.9 * at(x, sy, c));
      }
      // The lashes: darkest on the edge, fading over `lash` either side.
      const d = Math.abs(y - edge) / lash;
      if (d < 1) {
        const base = mix ?? [0, 1, 2].map((c) => at(x, y, c));
        const k = amount * (1 - d) * 0.85;
        mix = base.map((v, c) => (1 - k) * v + k * [40, 30, 28][c]!);
      }
      if (!mix) continue;
      for (let c = 0; c < 3; c++) {
        const o = 3 * (y * img.width + x) + c;
        img.data[o] = (1 - w) * src[o] + w * mix[c]!;
      }
    }
  }
}

/** Opens the mouth by `amount` (0..1): the lower half of the mouth slides down and the gap darkens. */
function openMouth(img: Raw, mouth: FaceFeatures['mouth'], amount: number): void {
  if (amount <= 0) return;
  const half = 0.65 * mouth.width;
  const lipLine = mouth.cy;
  const bottom = mouth.cy + mouth.height / 2 + 0.15 * mouth.width;
  const drop = amount * 0.35 * mouth.width;
  const src = Uint8Array.from(img.data);
  for (let y = Math.round(lipLine); y < bottom + drop; y++) {
    if (y < 0 || y >= img.height) continue;
    // Rows [lipLine, bottom + drop) show rows [lipLine, bottom): the lower lip and chin top move down.
    const sy = Math.round(lipLine + ((y - lipLine) * (bottom - lipLine)) / (bottom + drop - lipLine));
    const gap = y - lipLine < drop ? 0.35 + 0.65 * ((y - lipLine) / drop) ** 2 : 1;
    for (let x = Math.round(mouth.cx - half); x <= mouth.cx + half; x++) {
      if (x < 0 || x >= img.width || sy >= img.height) continue;
      const w = feather(x, mouth.cx, half);
      for (let c = 0; c < 3; c++) {
        const o = 3 * (y * img.width + x) + c;
        const moved = src[3 * (sy * img.width + x) + c] * gap;
        img.data[o] = (1 - w) * src[o] + w * moved;
      }
    }
  }
}

const scaleFeatures = (f: FaceFeatures, k: number): FaceFeatures => ({
  eyes: f.eyes.map((e) => ({
    cx: e.cx * k,
    cy: e.cy * k,
    width: e.width * k,
    ...(e.height === undefined ? {} : { height: e.height * k }),
  })),
  mouth: { cx: f.mouth.cx * k, cy: f.mouth.cy * k, width: f.mouth.width * k, height: f.mouth.height * k },
});

function lazy<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | null = null;
  return () => (p ??= make());
}

// The blink cycle: 8 frames, eyes closing over frames 3-5. The mouth cycle: 12 frames, open over 7-10.
const BLINK = [0, 0, 0, 0.5, 1, 0.5, 0, 0];
const MOUTH = [0, 0, 0, 0, 0, 0, 0, 0.5, 1, 1, 0.5, 0];
// One blink on request at 10 fps: about 0.3 s to react, the lid down in 0.1 s, shut for a frame, up again in
// 0.2 s (a voluntary blink is slower to open than to close, 300-400 ms in all).
const BLINK_ON_REQUEST = [0, 0, 0, 0.6, 1, 0.6, 0.2];

export const scenes = {
  /**
   * A face that changes shape over time. With `features` (the photo's eye and mouth regions, e.g. from
   * featuresFromLandmarks on the pipeline's landmarks) one photo blinks and moves its mouth; without,
   * the photos (at least two of the same person) are shown in turn, four frames each.
   */
  live(photos: Buffer[], features?: FaceFeatures): Scene {
    if (photos.length === 0) throw new TypeError('live scene needs at least one photo');
    if (!features && photos.length < 2) throw new TypeError('live scene needs face features or at least two photos');
    const decoded = lazy(() => Promise.all(photos.map((p) => decodeInside(p, FRAME_WIDTH, FRAME_HEIGHT))));
    return {
      name: 'live',
      async frame(i) {
        const all = await decoded();
        if (features) {
          const { raw, scale } = all[0];
          const img: Raw = { ...raw, data: Uint8Array.from(raw.data) };
          const f = scaleFeatures(features, scale);
          for (const eye of f.eyes) closeEye(img, eye, BLINK[i % BLINK.length]);
          openMouth(img, f.mouth, MOUTH[i % MOUTH.length]);
          return encode(compose(img, { dx: 0, dy: 0, scale: 1, rotation: 0, noise: 3, seed: i + 1 }), 88 + (i % 5));
        }
        const { raw } = all[Math.floor(i / 4) % all.length];
        return encode(compose(raw, { dx: 0, dy: 0, scale: 1, rotation: 0, noise: 3, seed: i + 1 }), 88 + (i % 5));
      },
    };
  },

  /**
   * A person keeping still who blinks once when asked (the lane's prompt), then keeps still again: the same
   * frames as stillPhoto() except for that one blink. Show it when the prompt comes: frame 0 is the moment
   * the person hears it.
   */
  blinkWhenAsked(photo: Buffer, features: FaceFeatures): Scene {
    const decoded = lazy(() => decodeInside(photo, FRAME_WIDTH, FRAME_HEIGHT));
    return {
      name: 'blink-when-asked',
      async frame(i) {
        const { raw, scale } = await decoded();
        const img: Raw = { ...raw, data: Uint8Array.from(raw.data) };
        for (const eye of scaleFeatures(features, scale).eyes) closeEye(img, eye, BLINK_ON_REQUEST[i] ?? 0);
        return encode(compose(img, { dx: 0, dy: 0, scale: 1, rotation: 0, noise: 3, seed: i + 1 }), 86 + (i % 7));
      },
    };
  },

  /** The same photo each frame; only sensor-like noise and JPEG re-encoding change. */
  stillPhoto(photo: Buffer): Scene {
    const decoded = lazy(() => decodeInside(photo, FRAME_WIDTH, FRAME_HEIGHT));
    return {
      name: 'still-photo',
      async frame(i) {
        const { raw } = await decoded();
        return encode(compose(raw, { dx: 0, dy: 0, scale: 1, rotation: 0, noise: 3, seed: i + 1 }), 86 + (i % 7));
      },
    };
  },

  /**
   * A printed photo held up in a hand that tries to keep it still: the hand's tremor moves it by a few pixels
   * and a fraction of a degree from frame to frame (less rigid motion than movingPhoto, more than a stand).
   */
  heldPhoto(photo: Buffer): Scene {
    const decoded = lazy(() => decodeInside(photo, FRAME_WIDTH, FRAME_HEIGHT));
    return {
      name: 'held-photo',
      async frame(i) {
        const { raw } = await decoded();
        const shake = rng(1000 + i);
        const t = i / 10;
        return encode(
          compose(raw, {
            dx: 4 * Math.sin(2.1 * t) + 1.5 * (shake() - 0.5),
            dy: 3 * Math.sin(1.7 * t + 1) + 1.5 * (shake() - 0.5),
            scale: 1 + 0.01 * Math.sin(1.3 * t),
            rotation: 0.01 * Math.sin(1.9 * t),
            noise: 3,
            seed: i + 1,
          }),
          86 + (i % 7),
        );
      },
    };
  },

  /** The photo, smaller than the frame, moved rigidly: a slow sway, a turn of a few degrees, a slight zoom. */
  movingPhoto(photo: Buffer): Scene {
    const decoded = lazy(() => decodeInside(photo, Math.round(FRAME_WIDTH * 0.7), Math.round(FRAME_HEIGHT * 0.7)));
    return {
      name: 'moving-photo',
      async frame(i) {
        const { raw } = await decoded();
        const t = i / 10;
        return encode(
          compose(raw, {
            dx: 40 * Math.sin(1.3 * t),
            dy: 15 * Math.sin(0.9 * t + 1),
            scale: 1 + 0.08 * Math.sin(0.7 * t),
            rotation: 0.09 * Math.sin(1.1 * t),
            noise: 3,
            seed: i + 1,
          }),
          86 + (i % 7),
        );
      },
    };
  },

  /** No face: the wall behind the lane. */
  empty(): Scene {
    const blank: Raw = { data: new Uint8Array(3), width: 1, height: 1 };
    return {
      name: 'empty',
      frame: (i) => encode(compose(blank, { dx: 10_000, dy: 0, scale: 1, rotation: 0, noise: 3, seed: i + 1 }), 88),
    };
  },
};

export interface VirtualCameraOptions {
  fps?: number;
  /** Send Content-Length in each part (most cameras do); false exercises the SOI/EOI framing path. */
  partContentLength?: boolean;
  boundary?: string;
}

export class VirtualCamera {
  private server: Server | null = null;
  private port = 0;
  private scene: Scene;
  private frameIndex = 0;
  private readonly streams = new Set<ServerResponse>();
  private ticker: NodeJS.Timeout | undefined;
  private readonly fps: number;
  private readonly boundary: string;
  private readonly partContentLength: boolean;
  private rendering = false;
  /** Frames served, over both endpoints. */
  framesServed = 0;

  constructor(scene: Scene = scenes.empty(), opts: VirtualCameraOptions = {}) {
    this.scene = scene;
    this.fps = opts.fps ?? 10;
    this.boundary = opts.boundary ?? 'gate06sim';
    this.partContentLength = opts.partContentLength ?? true;
  }

  get url(): string {
    if (!this.server) throw new Error('virtual camera not started');
    return `http://127.0.0.1:${this.port}`;
  }

  show(scene: Scene): void {
    this.scene = scene;
    this.frameIndex = 0;
  }

  /** Listens on 127.0.0.1; after a stop(), start() reuses the same port so clients can reconnect. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.ticker = setInterval(() => void this.tick(), Math.round(1000 / this.fps));
  }

  /** Stops serving and drops every open stream: what a camera losing power looks like to the gateway. */
  async stop(): Promise<void> {
    clearInterval(this.ticker);
    const server = this.server;
    this.server = null;
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
    } else if (path === '/snapshot.jpg') {
      try {
        const jpeg = await this.scene.frame(this.frameIndex++);
        this.framesServed++;
        res
          .writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length, 'cache-control': 'no-store' })
          .end(jpeg);
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot render frame: ${(err as Error).message}`);
      }
    } else if (path === '/mjpeg') {
      res.writeHead(200, {
        'content-type': `multipart/x-mixed-replace; boundary=${this.boundary}`,
        'cache-control': 'no-store',
        connection: 'close',
      });
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
    } else {
      res.writeHead(404).end();
    }
  }

  private async tick(): Promise<void> {
    // One frame render at a time: a slow render drops ticks (like a camera lowering its frame rate).
    if (this.streams.size === 0 || this.rendering) return;
    this.rendering = true;
    try {
      const jpeg = await this.scene.frame(this.frameIndex++);
      const head = `--${this.boundary}\r\nContent-Type: image/jpeg\r\n${this.partContentLength ? `Content-Length: ${jpeg.length}\r\n` : ''}\r\n`;
      const part = Buffer.concat([Buffer.from(head, 'latin1'), jpeg, Buffer.from('\r\n')]);
      for (const s of this.streams) s.write(part);
      this.framesServed++;
    } catch {
      // A frame that cannot be rendered is skipped; the stream goes on.
    } finally {
      this.rendering = false;
    }
  }
}
