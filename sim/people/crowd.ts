// Simulated people arriving at the gate's lanes and behaving as people do: most present a valid ticket or
// CCCD and walk through; some bring expired, forged, reused or foreign-site tickets or a bad QR; some walk
// away after the unlock, tailgate the person in front, or force the turnstile. SYNTHETIC data only.
import { randomUUID } from 'node:crypto';
import type { Direction } from '../../gateway/config/schema.js';
import { type IssuerKey, issueTicket } from '../../gateway/credentials/ticket-issuer.js';
import { CccdChip } from '../cards/cccd-chip/cccd-chip.js';
import { makeCard, type SyntheticCard } from '../cards/make-card.js';
import { makeChipCard } from '../cards/make-chip-card.js';
import { buildSod } from '../cards/sod.js';
import { loadTestPki } from '../cards/test-pki.js';
import { seededRandom } from '../random.js';
import type { SimRig } from '../rig.js';
import { cccdQrText, syntheticPerson } from './population.js';

export type Presentation =
  | 'ticket-valid'
  | 'ticket-reused'
  | 'ticket-expired'
  | 'ticket-forged'
  | 'ticket-unknown-key'
  | 'ticket-other-site'
  | 'cccd-valid'
  | 'cccd-bad'
  | 'chip-valid'
  | 'chip-tampered'
  | 'chip-untrusted'
  | 'chip-expired'
  | 'none';
export type Behaviour = 'pass' | 'walk-away' | 'tailgate' | 'force';

export interface CrowdKeys {
  issuer: IssuerKey;
  forger: IssuerKey;
  unknown: IssuerKey;
}

export interface CrowdOptions {
  rig: SimRig;
  site: string;
  keys: CrowdKeys;
  peoplePerMinute: number;
  /** The lanes these people use (default: all the rig's lanes); the demo's face lanes have their own crowd. */
  lanes?: readonly string[];
  seed?: number;
  /** Relative weights; defaults give a realistic day with every failure mode present. */
  mix?: Partial<Record<Presentation, number>>;
  behaviours?: Partial<Record<Behaviour, number>>;
  /** How long a person waits for the turnstile to unlock after presenting. */
  unlockWaitMs?: number;
  onPerson?: (p: {
    lane: string;
    direction: Direction;
    presentation: Presentation;
    behaviour: Behaviour;
    unlocked: boolean;
  }) => void;
}

const DEFAULT_MIX: Record<Presentation, number> = {
  'ticket-valid': 40,
  'cccd-valid': 20,
  'ticket-reused': 6,
  'ticket-expired': 6,
  'ticket-forged': 5,
  'ticket-unknown-key': 4,
  'ticket-other-site': 5,
  'cccd-bad': 6,
  'chip-valid': 10,
  'chip-tampered': 1,
  'chip-untrusted': 1,
  'chip-expired': 1,
  none: 2,
};
const DEFAULT_BEHAVIOUR: Record<Exclude<Behaviour, 'force'>, number> = { pass: 86, 'walk-away': 7, tailgate: 7 };

const weighted = <K extends string>(rnd: () => number, w: Record<K, number>): K => {
  const entries = Object.entries(w) as Array<[K, number]>;
  let x = rnd() * entries.reduce((s, [, v]) => s + v, 0);
  for (const [k, v] of entries) if ((x -= v) < 0) return k;
  return entries[0]![0];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface CrowdStats {
  people: number;
  byPresentation: Record<string, number>;
  unlocked: number;
  passages: number;
  walkedAway: number;
  tailgated: number;
  forced: number;
}

export class Crowd {
  readonly stats: CrowdStats = {
    people: 0,
    byPresentation: {},
    unlocked: 0,
    passages: 0,
    walkedAway: 0,
    tailgated: 0,
    forced: 0,
  };
  private readonly rnd: () => number;
  private running = false;
  private readonly laneBusy = new Map<string, Promise<void>>();
  private readonly usedTickets: string[] = [];
  private loop?: Promise<void>;
  private personIndex = 0;

  constructor(private readonly opts: CrowdOptions) {
    this.rnd = seededRandom(opts.seed ?? 6);
  }

  start(): void {
    this.running = true;
    this.loop = this.arrive();
  }

  /** Stops new arrivals and waits for the people already at a lane to finish. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.allSettled([...this.laneBusy.values()]);
  }

  private async arrive(): Promise<void> {
    const only = this.opts.lanes;
    const lanes = [...this.opts.rig.lanes.values()].filter((l) => !only || only.includes(l.id));
    while (this.running) {
      // Poisson arrivals at the configured rate.
      await sleep(Math.min(10_000, -Math.log(1 - this.rnd()) * (60_000 / this.opts.peoplePerMinute)));
      if (!this.running) break;
      const lane = lanes[Math.floor(this.rnd() * lanes.length)]!;
      const direction: Direction = lane.qr.out && this.rnd() < 0.2 ? 'out' : lane.qr.in ? 'in' : 'out';
      const before = this.laneBusy.get(lane.id) ?? Promise.resolve();
      // Whoever is still queued when the crowd stops goes home without presenting.
      const turn = before.then(() => (this.running ? this.person(lane.id, direction) : undefined)).catch(() => {});
      this.laneBusy.set(lane.id, turn);
    }
  }

  /** One person at a lane; people queue per lane, so the next one starts when this one is done. */
  async person(
    laneId: string,
    direction: Direction,
    forced?: { presentation: Presentation; behaviour: Behaviour },
  ): Promise<void> {
    const lane = this.opts.rig.lane(laneId);
    const presentation = forced?.presentation ?? weighted(this.rnd, { ...DEFAULT_MIX, ...this.opts.mix });
    let behaviour: Behaviour =
      forced?.behaviour ??
      (presentation === 'none'
        ? 'force'
        : weighted(this.rnd, { ...DEFAULT_BEHAVIOUR, ...this.opts.behaviours } as Record<Behaviour, number>));
    this.stats.people++;
    this.stats.byPresentation[presentation] = (this.stats.byPresentation[presentation] ?? 0) + 1;
    const scanner = lane.qr[direction];
    const reader = lane.chip[direction];
    // A PC/SC chip side: the QR first (it gives the CAN), then the card on the reader.
    const slot = scanner ? lane.chipSlot[direction] : undefined;
    let unlocked = false;
    // A chip card at a lane side without a reader: the person shows a ticket instead.
    // At a PC/SC chip side a person with a CCCD holds the card after the QR, as the lane asks.
    const shown: Presentation =
      presentation.startsWith('chip-') && !reader && !slot
        ? 'ticket-valid'
        : presentation === 'cccd-valid' && slot
          ? 'chip-valid'
          : presentation;
    if (shown !== 'none' && (scanner || reader || slot)) {
      const unlock = new Promise<boolean>((resolve) => {
        const onUnlock = (d: Direction) => {
          if (d !== direction) return;
          clearTimeout(timer);
          lane.turnstile.off('unlock', onUnlock);
          resolve(true);
        };
        const timer = setTimeout(
          () => {
            lane.turnstile.off('unlock', onUnlock);
            resolve(false);
            // A chip read through vpcd takes 3-4 s (docs/chip.md, Known limits): wait for it.
          },
          (this.opts.unlockWaitMs ?? 2000) + (slot && shown.startsWith('chip-') ? 8000 : 0),
        );
        lane.turnstile.on('unlock', onUnlock);
      });
      await sleep(200 + this.rnd() * 400);
      if (shown.startsWith('chip-') && slot) {
        const { qrText, chip } = await this.chipCard(shown);
        await scanner!.scan(qrText);
        await sleep(300 + this.rnd() * 500);
        await slot.present(chip);
      } else if (shown.startsWith('chip-')) await reader!.present(await this.card(shown));
      else await scanner!.scan(await this.credential(shown));
      unlocked = await unlock;
      // The card comes off the reader once the person has their answer (or gave up waiting).
      slot?.remove();
      if (unlocked) this.stats.unlocked++;
    }
    if (!unlocked && behaviour !== 'force') behaviour = 'walk-away';
    this.opts.onPerson?.({ lane: laneId, direction, presentation, behaviour, unlocked });
    switch (behaviour) {
      case 'pass':
        await sleep(300 + this.rnd() * 700);
        await lane.turnstile.pass(direction);
        this.stats.passages++;
        break;
      case 'tailgate':
        await sleep(300 + this.rnd() * 500);
        await lane.turnstile.pass(direction);
        await sleep(100 + this.rnd() * 200);
        await lane.turnstile.pass(direction);
        this.stats.passages += 2;
        this.stats.tailgated++;
        break;
      case 'force':
        await lane.turnstile.pass(direction);
        this.stats.passages++;
        this.stats.forced++;
        break;
      case 'walk-away':
        if (unlocked) this.stats.walkedAway++;
        break;
    }
    await sleep(400);
  }

  private async card(p: Presentation): Promise<SyntheticCard> {
    const person = syntheticPerson(this.rnd, this.personIndex++);
    const faults =
      p === 'chip-tampered'
        ? { tamperDg: 1 }
        : p === 'chip-untrusted'
          ? { untrustedSigner: true }
          : p === 'chip-expired'
            ? { expired: true }
            : {};
    return makeCard({ person, faults });
  }

  /** A simulated CCCD chip for a PC/SC reader, and the QR printed on the same card. */
  private async chipCard(p: Presentation): Promise<{ qrText: string; chip: CccdChip }> {
    const person = syntheticPerson(this.rnd, this.personIndex++);
    const card = await makeChipCard({
      person: p === 'chip-expired' ? { ...person, expiry: '2020-01-01' } : person,
    });
    if (p === 'chip-tampered') {
      // One byte of DG13 flipped after the SOD was signed: the file parses, its hash no longer matches.
      const dg13 = Buffer.from(card.dataGroups.get(13)!);
      dg13[dg13.length - 2]! ^= 0x01;
      card.dataGroups = new Map(card.dataGroups).set(13, dg13);
    }
    if (p === 'chip-untrusted')
      card.sod = buildSod(card.dataGroups, { signer: (await loadTestPki()).rogueDocumentSigner });
    return { qrText: cccdQrText(person), chip: new CccdChip(card) };
  }

  private async credential(p: Presentation): Promise<string> {
    const { keys, site } = this.opts;
    const now = Date.now();
    const tid = `T-${randomUUID().slice(0, 8)}`;
    const base = { site, kind: 'single' as const, tid, validFromMs: now - 3600_000, validForMs: 12 * 3600_000 };
    switch (p) {
      case 'ticket-valid': {
        const t = await issueTicket(keys.issuer, base);
        this.usedTickets.push(t);
        return t;
      }
      case 'ticket-reused':
        return this.usedTickets.length
          ? this.usedTickets[Math.floor(this.rnd() * this.usedTickets.length)]!
          : issueTicket(keys.issuer, { ...base, uses: 1 });
      case 'ticket-expired':
        return issueTicket(keys.issuer, { ...base, validFromMs: now - 48 * 3600_000, validForMs: 24 * 3600_000 });
      case 'ticket-forged':
        return issueTicket(keys.forger, base);
      case 'ticket-unknown-key':
        return issueTicket(keys.unknown, base);
      case 'ticket-other-site':
        return issueTicket(keys.issuer, { ...base, site: 'hn-other-site' });
      case 'cccd-valid':
        return cccdQrText(syntheticPerson(this.rnd, this.personIndex++));
      case 'cccd-bad': {
        const good = cccdQrText(syntheticPerson(this.rnd, this.personIndex++)).split('|');
        const broken = [
          () => (good[3] = '31022001'),
          () => (good[0] = good[0]!.slice(0, 11)),
          () => (good[4] = 'X'),
          () => good.splice(1, 1),
        ];
        broken[Math.floor(this.rnd() * broken.length)]!();
        return good.join('|');
      }
      default:
        return '';
    }
  }
}
