// gate06 enroll: enroll a person's face for 1:N identification, delete an enrollment, or list them.
// Photos are read, analysed in memory and never copied; the template is sealed with face.enrollmentKey.

import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { resolveSecret } from '../gateway/config/load.js';
import { EnrollmentStore, MAX_ENROLL_PHOTOS } from '../gateway/face/enrollment.js';
import { parseEnrollmentKey } from '../gateway/face/enrollment-crypto.js';
import { DEFAULT_CACHE_DIR } from '../gateway/face/model-files.js';
import { EventStore } from '../gateway/store/event-store.js';
import { loadConfigOrReport } from './load-config.js';

const HELP = `usage: gate06 enroll -c CONFIG --person REF --consent VERSION --by OPERATOR [--purpose TEXT] [--label TEXT] PHOTO...
       gate06 enroll -c CONFIG --delete REF --by OPERATOR
       gate06 enroll -c CONFIG --list

Enrolls one person for face identification from 1..${MAX_ENROLL_PHOTOS} photos (JPEG/PNG): each photo is analysed,
bad ones are reported with their reason, the good ones are averaged into one template that is stored
encrypted (face.enrollmentKey). Photos are never kept. The person's consent must have been taken first.

  -c, --config FILE   gateway config (store.path, face.modelsDir, face.enrollmentKey)
  --person REF        opaque reference for the person (e.g. a keyed ID hash or staff number)
  --consent VERSION   version of the consent text the person agreed to
  --by OPERATOR       who took the consent / asks for the deletion (staff id)
  --purpose TEXT      purpose of processing recorded with the consent (default "site access")
  --label TEXT        optional label shown to operators, stored encrypted
  --delete REF        delete this person's enrollment (on their request); logged without personal data
  --list              print enrolled references and dates (no templates, no labels)`;

const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

function parseEnrollArgs(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      person: { type: 'string' },
      consent: { type: 'string' },
      by: { type: 'string' },
      purpose: { type: 'string', default: 'site access' },
      label: { type: 'string' },
      delete: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseEnrollArgs>;
  try {
    parsed = parseEnrollArgs(argv);
  } catch (err) {
    console.error(`gate06 enroll: ${(err as Error).message}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const modes = [values.list, values.delete !== undefined, values.person !== undefined].filter(Boolean).length;
  const errors: string[] = [];
  if (!values.config) errors.push('-c CONFIG is required');
  if (modes !== 1) errors.push('give exactly one of --person, --delete or --list');
  if (values.person !== undefined) {
    if (!values.consent) errors.push('--consent VERSION is required to enroll');
    if (!values.by) errors.push('--by OPERATOR is required to enroll');
    if (positionals.length < 1 || positionals.length > MAX_ENROLL_PHOTOS)
      errors.push(`give 1..${MAX_ENROLL_PHOTOS} photos`);
  }
  if (values.delete !== undefined && !values.by) errors.push('--by OPERATOR is required to delete');
  if (errors.length) {
    for (const e of errors) console.error(`gate06 enroll: ${e}`);
    return 2;
  }

  const config = loadConfigOrReport(values.config!);
  if (!config) return 2;
  if (!config.face.enrollmentKey) {
    console.error('face.enrollmentKey: required to enroll, list or delete (a 32-byte key, hex or base64)');
    return 2;
  }
  let material: Buffer;
  try {
    material = resolveSecret(config.face.enrollmentKey);
  } catch (err) {
    console.error(`face.enrollmentKey: ${(err as Error).message}`);
    return 2;
  }
  const key = parseEnrollmentKey(material);
  if (!key.ok) {
    console.error(`face.enrollmentKey: ${key.detail}`);
    return 2;
  }

  // Opened through the event store so a fresh database gets the same pragmas and migrations as the gateway's.
  const eventStore = new EventStore({ path: config.store.path });
  try {
    // The key id follows the personal-data key id, so one rotation procedure covers both.
    const store = new EnrollmentStore({
      repo: eventStore.repos.enrollment,
      key: key.value,
      keyId: config.store.personal.keyId,
    });
    if (values.list) {
      for (const e of store.list())
        console.log(
          `${e.personRef}\t${new Date(e.enrolledAt).toISOString()}\tconsent ${e.consentVersion}\t${e.photosUsed} photos`,
        );
      return 0;
    }
    if (values.delete !== undefined) {
      if (!store.delete(values.delete, values.by!)) {
        console.error(`gate06 enroll: no enrollment ${values.delete}`);
        return 1;
      }
      console.log(`deleted ${values.delete}`);
      return 0;
    }
    const photos: Buffer[] = [];
    for (const path of positionals) {
      try {
        if (statSync(path).size > MAX_PHOTO_BYTES) {
          console.error(`gate06 enroll: ${path} is larger than ${MAX_PHOTO_BYTES} bytes`);
          return 2;
        }
        photos.push(readFileSync(path));
      } catch (err) {
        console.error(`gate06 enroll: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
        return 2;
      }
    }
    const { FacePipeline } = await import('../gateway/face/pipeline.js');
    // Enrolment takes one embedding: no liveness burst, so not the dense mesh either.
    const pipeline = await FacePipeline.load({
      modelsDir: config.face.modelsDir ?? DEFAULT_CACHE_DIR,
      landmarks: 'ibug68',
    });
    try {
      const r = await store.enroll(
        {
          personRef: values.person!,
          label: values.label,
          consent: { version: values.consent!, by: values.by!, purpose: values.purpose! },
          photos,
        },
        pipeline,
      );
      const rejected = r.ok ? r.value.rejected : 'rejected' in r ? r.rejected : [];
      for (const x of rejected)
        console.error(`${positionals[x.index]}: ${x.reason}${x.detail ? ` (${x.detail})` : ''}`);
      if (!r.ok) {
        console.error(`gate06 enroll: ${r.reason}: ${r.detail}`);
        return 1;
      }
      console.log(
        `${r.value.replaced ? 're-enrolled' : 'enrolled'} ${r.value.personRef} from ${r.value.photosUsed} photo(s)`,
      );
      return 0;
    } finally {
      await pipeline.release();
    }
  } finally {
    eventStore.close();
  }
}
