// The demo's two face lanes, added to a gateway config: a railway-station lane (a train ticket bound to the
// holder's ID plus the CCCD chip; the live face matched 1:1 to the chip photo, DG2) and an industrial-park
// lane (the worker's CCCD QR; the live face identified 1:N among the enrolled workers, whose consent is
// recorded with their template). Each lane's entry has its own simulated camera. The photos are the ones
// sim/faces/SOURCES.md lists; every card and every enrolled worker is a SYNTHETIC person.
import { readFileSync } from 'node:fs';
import { resolveSecret } from '../gateway/config/load.js';
import type { GatewayConfig, LaneConfig } from '../gateway/config/schema.js';
import { keyedIdHash } from '../gateway/credentials/identity.js';
import { EnrollmentStore } from '../gateway/face/enrollment.js';
import { parseEnrollmentKey } from '../gateway/face/enrollment-crypto.js';
import { DEFAULT_CACHE_DIR } from '../gateway/face/model-files.js';
import { FacePipeline } from '../gateway/face/pipeline.js';
import { EventStore } from '../gateway/store/event-store.js';
import { type SyntheticPerson, syntheticVariant } from './cards/people.js';
import {
  type FaceFeatures,
  featuresFromLandmarks,
  type Scene,
  scenes,
  VirtualCamera,
} from './devices/virtual-camera.js';

export const STATION_LANE = 'S1';
export const PARK_LANE = 'W1';

/** A face photo shipped for the simulator (sim/faces/SOURCES.md). */
export const simFace = (file: string): Buffer => readFileSync(new URL(`faces/${file}`, import.meta.url));

/** Exactly 32 bytes, used as the AES-256 key itself: a DEMO value, like every secret of the demo site. */
const DEMO_ENROLLMENT_KEY = 'DEMO-enrollment-key-0001-0000000';

/** The SYNTHETIC worker enrolled at the park lane (consent recorded), and the photo the enrollment used. */
// p1 is the worker who comes to the lane (p1-img11 at the camera, another photo than the enrolled one); p5 is
// enrolled too, so the 1:N search has more than one template to choose from.
export const PARK_WORKERS: ReadonlyArray<{ person: SyntheticPerson; enrollPhoto: string }> = [
  { person: parkWorker(501, 'Phạm', 'Văn Thử Công'), enrollPhoto: 'p1-img5.jpg' },
  { person: parkWorker(502, 'Lê', 'Văn Mẫu Công'), enrollPhoto: 'p5-img16.jpg' },
];

/** A SYNTHETIC park worker, born 1995 in Hà Nam (ID prefix 035 0 95), told apart by the ID's serial. */
function parkWorker(serial: number, surname: string, givenNames: string): SyntheticPerson {
  return syntheticVariant(
    {
      synthetic: true,
      id: '035095000000', // SYNTHETIC: the serial replaces the last six digits
      surname,
      givenNames,
      dateOfBirth: '1995-03-04',
      sex: 'M',
      ethnicity: 'Kinh',
      religion: 'Không',
      hometown: 'Phủ Lý, Hà Nam',
      residence: 'Khu công nghiệp Đồng Văn, Hà Nam',
      identifyingMarks: 'Không',
      issueDate: '2021-07-01',
      expiry: '2055-03-04',
      father: 'Nguyễn Văn Thử',
      mother: 'Trần Thị Mẫu',
    },
    serial,
  );
}

/** Turnstile boards and serial paths of the two lanes; the rig replaces the paths with its cables. */
function lane(id: string, address: number, entry: NonNullable<LaneConfig['entry']>, exit?: LaneConfig['exit']) {
  const port = (role: string) => ({ path: `/dev/serial/by-id/usb-demo-${role}-${id}`, baudRate: 115200 });
  const config: LaneConfig = {
    id,
    zone: 'main',
    entry: { ...entry, qrScanner: port('qr-in') },
    ...(exit ? { exit: { ...exit, qrScanner: port('qr-out') } } : {}),
    turnstile: {
      port: port('rs485'),
      address,
      unlockCoil: { in: 0, out: 1 },
      inputs: { passageIn: 0, passageOut: 1, alarm: 2, fireAlarm: 3 },
      unlockPulseMs: 3000,
      pollIntervalMs: 25,
    },
    passageTimeoutMs: 6000,
    doorHeldMs: 15000,
  };
  return config;
}

const sideDefaults = { chipReadTimeoutMs: 10_000 } as const;

/**
 * Adds S1 and W1 to `config` with their cameras at `cameraUrls`, and the DEMO enrollment key. The lanes
 * deny a still or moved photo (liveness required) and use the threshold of FMR 1e-3.
 */
export function addFaceLanes(config: GatewayConfig, cameraUrls: { station: string; park: string }): void {
  const liveFace = { targetFmr: '1e-3', liveness: 'required' } as const;
  config.gate.lanes.push(
    lane(STATION_LANE, 3, {
      ...sideDefaults,
      chipReader: { path: '/dev/serial/by-id/usb-demo-chip-in-S1', baudRate: 115200 },
      camera: { kind: 'mjpeg', url: `${cameraUrls.station}/mjpeg`, timeoutMs: 3000 },
      // The chip alone is not a train ticket: it is held until the bound ticket is scanned (or the reverse).
      accepts: ['ticket'],
      face: { ...liveFace, requireFor: ['ticket'], identifyEnrolled: false },
    }),
    lane(
      PARK_LANE,
      4,
      {
        ...sideDefaults,
        camera: { kind: 'mjpeg', url: `${cameraUrls.park}/mjpeg`, timeoutMs: 3000 },
        accepts: ['cccd-qr'],
        face: { ...liveFace, requireFor: ['cccd-qr'], identifyEnrolled: true },
      },
      // Leaving needs no face: the worker's QR is enough (and clears anti-passback for the next shift).
      {
        ...sideDefaults,
        accepts: ['cccd-qr'],
        face: { requireFor: [], targetFmr: '1e-3', liveness: 'off', identifyEnrolled: false },
      },
    ),
  );
  config.face.enrollmentKey = { demo: DEMO_ENROLLMENT_KEY };
}

/**
 * Enrolls the park's workers into the gateway's database before the gateway opens it, as `gate06 enroll`
 * does: the template under the worker's keyed ID hash (what the lane looks them up by), consent recorded.
 */
export async function enrollParkWorkers(config: GatewayConfig, pipeline: FacePipeline): Promise<void> {
  const key = parseEnrollmentKey(resolveSecret(config.face.enrollmentKey!));
  if (!key.ok) throw new Error(`face.enrollmentKey: ${key.detail}`);
  const siteKey = resolveSecret(config.site.idHashKey);
  // Opened as the gateway opens it (pragmas, migrations), then closed before the gateway takes the file.
  const eventStore = new EventStore({ path: config.store.path });
  try {
    const store = new EnrollmentStore({
      repo: eventStore.repos.enrollment,
      key: key.value,
      keyId: config.store.personal.keyId,
    });
    for (const w of PARK_WORKERS) {
      const r = await store.enroll(
        {
          personRef: keyedIdHash(siteKey, w.person.id),
          consent: { version: 'DEMO-consent-v1', by: 'demo-hr-officer', purpose: 'site access (DEMO)' },
          photos: [simFace(w.enrollPhoto)],
        },
        pipeline,
      );
      if (!r.ok) throw new Error(`cannot enroll the demo worker from ${w.enrollPhoto}: ${r.detail}`);
    }
  } finally {
    eventStore.close();
  }
}

/** The face models the demo's simulated people and enrollment use, or why they are not there. */
export async function loadSimPipeline(config: GatewayConfig): Promise<FacePipeline | { unavailable: string }> {
  try {
    // The simulator only analyses photos (enrollment, the faces it draws); the mesh is the lanes' liveness tool,
    // loaded by the gateway's own pipeline, so this one does without it.
    return await FacePipeline.load({ modelsDir: config.face.modelsDir ?? DEFAULT_CACHE_DIR, landmarks: 'ibug68' });
  } catch (err) {
    return { unavailable: (err as Error).message };
  }
}

/**
 * Where a simulator photo's eyes and mouth are, for the scenes that move them: from the 68-point model's landmarks
 * (`analyze` always uses it), whatever source the lanes' liveness check reads. The scenes then stay the ones the
 * thresholds were calibrated on (docs/liveness.md): the Iris eye contour is tighter than the 68-point eye, and a lid
 * drawn from it covers less of the eye (p1-img11: 18 px high instead of 26), a weaker blink for either source.
 */
export async function faceFeatures(pipeline: FacePipeline, photo: Buffer): Promise<FaceFeatures> {
  const r = await pipeline.analyze(photo, { skipQuality: true });
  if (!r.ok) throw new Error(`no landmarks in a simulator photo: ${r.detail}`);
  return featuresFromLandmarks(r.value.landmarks);
}

/** A photo that blinks and moves its mouth, placed by its own landmarks (what the simulator calls live). */
export async function liveScene(pipeline: FacePipeline, photo: Buffer): Promise<Scene> {
  return scenes.live([photo], await faceFeatures(pipeline, photo));
}

/** The two lanes' cameras, showing the empty wall until a simulated person steps up. */
export async function startFaceCameras(): Promise<{ station: VirtualCamera; park: VirtualCamera }> {
  const station = new VirtualCamera(scenes.empty(), { fps: 10 });
  const park = new VirtualCamera(scenes.empty(), { fps: 10 });
  await station.start();
  await park.start();
  return { station, park };
}

export interface DemoFaceLanes {
  pipeline: FacePipeline;
  cameras: { station: VirtualCamera; park: VirtualCamera };
  note: string;
  stop(): Promise<void>;
}

/**
 * Everything the demo needs for its face lanes, added to `template` before the rig cables it: cameras, the
 * lanes, the enrolled workers. Without the face models the demo runs without face lanes and says why.
 */
export async function prepareDemoFaceLanes(template: GatewayConfig): Promise<DemoFaceLanes | { note: string }> {
  const pipeline = await loadSimPipeline(template);
  if ('unavailable' in pipeline) return { note: `no face lanes: ${pipeline.unavailable}` };
  const cameras = await startFaceCameras();
  const stop = async () => {
    await Promise.allSettled([cameras.station.stop(), cameras.park.stop()]);
    await pipeline.release();
  };
  try {
    addFaceLanes(template, { station: cameras.station.url, park: cameras.park.url });
    await enrollParkWorkers(template, pipeline);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pipeline,
    cameras,
    note: `face lanes: ${STATION_LANE} (station: bound train ticket, then the CCCD chip; live face vs the chip photo) and ${PARK_LANE} (industrial park: the worker's CCCD QR; live face 1:N among ${PARK_WORKERS.length} enrolled workers, consent recorded); liveness required`,
    stop,
  };
}
