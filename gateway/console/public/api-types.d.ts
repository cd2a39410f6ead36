// The shapes of the gateway's answers as the console reads them (gateway/http/*-routes.ts writes them), for the
// type check of the console's modules (tsconfig.console.json). Types only: nothing here reaches the browser.

export type Role = 'operator' | 'security' | 'admin';

/** POST /v1/auth/login and GET /v1/auth/me. */
export interface Me {
  name: string;
  role: Role;
  csrfToken: string;
}

/** A lane's snapshot (GET /v1/console/state, the live stream's hello). */
export interface LaneView {
  lane: string;
  phase?: string;
  freePassage?: boolean;
  fire?: boolean;
  degraded?: boolean;
  /** Device (or device:side) → link state, e.g. up / down. */
  links?: Record<string, string>;
  /** What the person at a PC/SC chip side is asked to do now (set by the live stream's chip-prompt). */
  chipPrompt?: { direction: 'in' | 'out'; step: string };
  /** What the person at a face side is asked to do now (set by the live stream's face-prompt). */
  facePrompt?: { direction: 'in' | 'out'; step: string };
}

export interface LaneCounts {
  lane: string;
  in: number;
  out: number;
  denied: number;
  manualOpens: number;
}

export interface TodayCounts {
  from: number;
  lanes: LaneCounts[];
}

export interface Alarm {
  id: string;
  kind: string;
  lane?: string | null;
  ts: number;
  acknowledged?: { by: string; ts?: number } | null;
}

/** gateway/http/console-routes.ts DecisionView. */
export interface Decision {
  eventId: string;
  ts: number;
  lane: string;
  direction: string;
  credential: string;
  decision: string;
  reason: string;
  idMasked: string | null;
  faceScore: number | null;
  faceThreshold: number | null;
  liveness: string | null;
  latencyMs: number | null;
}

export interface ConsoleState {
  site: { id: string; name?: string };
  gate: string;
  lanes: LaneView[];
  recent: Decision[];
  alarms: Alarm[];
  counts: TodayCounts;
}

export type FactValue = string | number | boolean;

/** One stored event of the log as the security routes return it. */
export interface LogEvent {
  id: string;
  ts: number;
  seq: number;
  bootId: string;
  type: string;
  lane?: string | null;
  direction?: string | null;
  credential?: string | null;
  decision?: string | null;
  reason?: string | null;
  idMasked?: string | null;
  latencyMs?: number | null;
  facts?: Record<string, FactValue>;
}

export interface SearchAnswer {
  events: LogEvent[];
  nextCursor?: string | null;
}

/** GET /v1/security/events/:id. */
export interface EventDetail {
  event: LogEvent;
  cause?: LogEvent | null;
  related: LogEvent[];
  personal: { state: string; name?: string | null; idNumber?: string | null };
}

export interface AuditEntry {
  ts: number;
  actor: string;
  role: string;
  action: string;
  filter: unknown;
  rows: number | null;
  outcome: string;
}

/** Live stream (GET /v1/live) events, by name. */
export interface LiveEvents {
  hello: { lanes: LaneView[] };
  decision: Decision;
  passage: unknown;
  alarm: Alarm;
  'alarm-ack': { id: string; by: string };
  lane: { lane: string; state?: string; freePassage?: boolean; degraded?: boolean };
  link: { lane: string; device: string; side?: string; state: string };
  fire: { active: boolean };
  'chip-prompt': {
    lane: string;
    direction: 'in' | 'out';
    step: 'hold-card' | 'reading' | 'scan-qr-first' | 'done';
    ts: number;
  };
  'face-prompt': { lane: string; direction: 'in' | 'out'; step: 'blink' | 'done'; ts: number };
}
