// The parsers of card bytes (TLV, SecurityInfos of EF.CardAccess and DG14, DG15) on real and arbitrary input,
// and the whole session against a card that answers garbage: always a closed-set value, never a throw.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import type { CardChannel } from '../../../../drivers/chip-pcsc/card-channel.js';
import { CHIP_SESSION_REASONS } from '../../../../drivers/chip-pcsc/icao/outcome.js';
import { parseDg15, parseSecurityInfos } from '../../../../drivers/chip-pcsc/icao/security-infos.js';
import { CCCD_CARD_ACCESS, readChip } from '../../../../drivers/chip-pcsc/icao/session.js';
import { decodeOid, readTlv, readTlvList } from '../../../../drivers/chip-pcsc/icao/tlv.js';

const vector = (name: string) => new Uint8Array(readFileSync(`/work/shared/vectors/icao/bsi-tr03105/${name}`));

t.test(
  'the CCCD EF.CardAccess profile decodes to TA v1, CA-ECDH-AES-128 v1 and PACE-ECDH-GM-AES-128 v2 on parameter 13',
  async (t) => {
    const infos = parseSecurityInfos(CCCD_CARD_ACCESS);
    t.ok(infos);
    t.equal(infos?.terminalAuthentication, true);
    t.same(
      infos?.chipAuthentication.map((c) => [c.oid, c.version, c.cipher]),
      [['0.4.0.127.0.7.2.2.3.2.2', 1, 'aes-128']],
    );
    t.same(
      infos?.pace.map((p) => [p.oid, p.version, p.parameterId, p.cipher]),
      [['0.4.0.127.0.7.2.2.4.2.2', 2, 13, 'aes-128']],
    );
  },
);

t.test('the BSI TR-03105 specimen DG14 parses; its brainpoolP224r1 CA key is counted as unsupported', async (t) => {
  const infos = parseSecurityInfos(vector('EF_DG14.bin'));
  t.ok(infos, 'DG14 parses');
  t.equal(infos?.unsupportedChipAuthenticationKeys, 1);
  t.ok((infos?.chipAuthentication.length ?? 0) >= 1, 'its ChipAuthenticationInfo is there');
});

t.test('the BSI TR-03105 specimen DG15 holds an RSA key', async (t) => {
  t.equal(parseDg15(vector('EF_DG15.bin'))?.kind, 'rsa');
});

t.test('a truncated EF.CardAccess does not parse', async (t) => {
  t.equal(parseSecurityInfos(CCCD_CARD_ACCESS.subarray(0, CCCD_CARD_ACCESS.length - 1)), null);
});

t.test('the TLV, OID, SecurityInfos and DG15 parsers never throw on arbitrary bytes', async () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      readTlv(bytes);
      readTlvList(bytes);
      decodeOid(bytes);
      parseSecurityInfos(bytes);
      parseDg15(bytes);
    }),
    { numRuns: 2000 },
  );
});

t.test('the SecurityInfos parser never throws on mutations of real files', async () => {
  const seeds = [CCCD_CARD_ACCESS, vector('EF_DG14.bin'), vector('EF_DG15.bin')];
  fc.assert(
    fc.property(
      fc.constantFrom(...seeds),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (seed, edits, cut) => {
        const bytes = Uint8Array.from(seed);
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        const truncated = bytes.subarray(0, seed.length - (cut % 8));
        parseSecurityInfos(truncated);
        parseDg15(truncated);
      },
    ),
    { numRuns: 2000 },
  );
});

/** A card that answers each APDU with the next of the generated responses (then 6F00). */
function garbageCard(responses: Uint8Array[], extendedLength: boolean): CardChannel {
  let i = 0;
  return {
    extendedLength,
    async transmit() {
      return responses[i++] ?? Uint8Array.of(0x6f, 0x00);
    },
  };
}

const plausibleStatus = fc.constantFrom(0x9000, 0x6a82, 0x6d00, 0x6982, 0x6300, 0x6988, 0x6700, 0x6b00);
const response = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc
    .tuple(fc.uint8Array({ maxLength: 80 }), plausibleStatus)
    .map(([data, sw]) => Uint8Array.from([...data, sw >> 8, sw & 0xff])),
);

t.test('random card answers never make the session throw: the outcome is always a closed-set reason', async (t) => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(response, { maxLength: 40 }),
      fc.boolean(),
      fc.boolean(),
      async (responses, extended, withMrz) => {
        const outcome = await readChip(garbageCard(responses, extended), {
          can: '123456',
          ...(withMrz ? { mrz: { documentNumber: '099012345', dateOfBirth: '990101', dateOfExpiry: '390101' } } : {}),
        });
        if (outcome.ok) return true;
        return Object.hasOwn(CHIP_SESSION_REASONS, outcome.reason);
      },
    ),
    { numRuns: 300 },
  );
  t.pass();
});
