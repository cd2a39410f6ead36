// The closed set of reason codes shared by the event log, the HTTP API, MQTT alarms and the console.
// A decision always carries exactly one of these; new codes are added here and nowhere else.
import type { Result as ContractResult } from '../contracts/result.js';

export const REASONS = {
  // allow
  ok: 'credential valid, access granted',
  'ok.free-passage': 'lane in free-passage mode (fire alarm or operator)',
  'ok.manual-open': 'opened by an operator with a recorded reason',
  // tickets
  'ticket.malformed': 'not a compact JWS ticket',
  'ticket.bad-signature': 'signature does not verify',
  'ticket.unknown-key': 'signed by a key (kid) the issuer JWKS does not hold',
  'ticket.bad-claims': 'required claims missing or of the wrong type',
  'ticket.expired': 'ticket past its exp',
  'ticket.not-yet-valid': 'ticket before its nbf',
  'ticket.wrong-site': 'ticket for another site',
  'ticket.uses-exhausted': 'ticket used as often as it allows',
  // CCCD printed QR
  'qr.malformed': 'not the CCCD QR layout (7 |-separated fields)',
  'qr.bad-id': 'ID number is not 12 digits with a valid province and century code',
  'qr.bad-old-id': 'old CMND number is not 9 digits',
  'qr.bad-date': 'a date is not a real DDMMYYYY date, or is in the future',
  'qr.bad-sex': 'sex is neither Nam nor Nữ',
  'qr.bad-name': 'name is empty or too long',
  'qr.expired': 'the card printed an expiry date that has passed',
  // chip (ICAO 9303 passive authentication)
  'chip.malformed': 'chip data could not be parsed',
  'chip.read-failed': 'the reader could not read the card',
  'chip.bad-signature': 'the SOD signature does not verify',
  'chip.untrusted-signer': 'the document signer does not chain to a trusted CSCA',
  'chip.dg-mismatch': 'a data group does not match its hash in the SOD',
  'chip.expired': 'the document has expired',
  'chip.id-mismatch': 'the ID on the QR or MRZ differs from the chip',
  // chip, read by the gateway itself over PC/SC (drivers/chip-pcsc)
  'chip.access-denied': "the chip refused the access key: the CAN from the QR (or the MRZ) is not this card's",
  'chip.sm-error': 'secure messaging with the chip broke (a bad or missing MAC)',
  'chip.clone-suspected': 'the chip could not prove it holds the chip or active authentication key of its data',
  'chip.clone-not-excluded':
    'the chip has neither chip nor active authentication, and policy does not accept that here',
  'chip.timeout': 'no card was put on the reader in time after the QR scan',
  // face
  'face.missing': 'the policy needs a face and none was given',
  'face.retake': 'the face image is not good enough to decide; retake',
  'face.no-match': 'the face does not match the credential photo',
  'face.not-enrolled': 'no enrolled person matches the face',
  'face.liveness-failed': 'presentation attack suspected',
  'face.unavailable': 'face models are not loaded on this gateway',
  // policy
  'policy.credential-not-accepted': 'this lane does not accept this credential',
  'policy.anti-passback': 'already inside this zone (no exit recorded)',
  'policy.binding-mismatch': 'ticket bound to another person',
  'policy.binding-unverified': 'ticket bound to an ID but no verified ID was presented',
  'policy.watchlist': 'denied by site policy on a watchlist hit',
  'policy.lane-out-of-service': 'the lane has no working turnstile',
  'policy.unknown-lane': 'no such lane on this gate',
  // the gate itself
  'store.unavailable': 'the event log cannot be written; nothing is allowed until it can',
} as const;

export type ReasonCode = keyof typeof REASONS;
export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/**
 * Errors as values at the edges, with the gateway's reason codes as the default. The type and its helpers
 * live in the contract layer (contracts/result.ts); they are re-exported here so gateway files keep one
 * import. New code outside gateway/ imports them from contracts/result.js.
 */
export type Result<T, R extends string = ReasonCode> = ContractResult<T, R>;
export { fail, ok } from '../contracts/result.js';
