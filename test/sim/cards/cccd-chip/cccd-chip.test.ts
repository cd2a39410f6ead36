// The simulated CCCD chip: it replays the published ICAO 9303-11 transcripts from the card's side when fed
// the appendix's randoms, answers with the status words of a real chip, and its synchronous CMAC agrees with
// the aes-cmac package.
import { AesCmac } from 'aes-cmac';
import fc from 'fast-check';
import t from 'tap';
import { readChip } from '../../../../drivers/chip-pcsc/icao/session.js';
import { TDES_SUITE } from '../../../../drivers/chip-pcsc/icao/sm-cipher.js';
import { CccdChip } from '../../../../sim/cards/cccd-chip/cccd-chip.js';
import { ChipSecureMessaging } from '../../../../sim/cards/cccd-chip/chip-secure-messaging.js';
import { parseCommand } from '../../../../sim/cards/cccd-chip/command-apdu.js';
import { InProcessCardChannel } from '../../../../sim/cards/cccd-chip/in-process-channel.js';
import { aesCmacSync } from '../../../../sim/cards/cccd-chip/sync-cmac.js';
import { type ChipCard, makeChipCard } from '../../../../sim/cards/make-chip-card.js';
import { NGUYEN_VAN_A } from '../../../../sim/cards/people.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const replayRandom = (values: string[]) => {
  const queue = values.map(hex);
  return (n: number) => {
    const next = queue.shift();
    if (!next || next.length !== n) throw new Error(`replayed random: wanted ${n} bytes`);
    return next;
  };
};

const base = await makeChipCard({ person: NGUYEN_VAN_A });
const sw = (response: Uint8Array) => toHex(response.subarray(response.length - 2));

t.test('RFC 4493 examples: the chip’s synchronous AES-CMAC gives the published tags', async (t) => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  t.equal(toHex(aesCmacSync(key, new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
  t.equal(toHex(aesCmacSync(key, hex('6bc1bee22e409f96e93d7e117393172a'))), '070A16B46B4D4144F79BDD9DD04A287C');
});

t.test('the chip’s synchronous AES-CMAC agrees with the aes-cmac package on random keys and messages', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.uint8Array({ maxLength: 70 }),
      async (key, message) => {
        const expected = new Uint8Array(await new AesCmac(key).calculate(message));
        return toHex(aesCmacSync(key, message)) === toHex(expected);
      },
    ),
    { numRuns: 200 },
  );
});

t.test(
  'ICAO 9303-11 D.4 from the card’s side: the published commands verify and the published answers come out',
  async (t) => {
    const sm = new ChipSecureMessaging({
      suite: TDES_SUITE,
      ksEnc: hex('979EC13B1CBFE9DCD01AB0FED307EAE5'),
      ksMac: hex('F1CB1F1FB5ADF208806B89DC579DC1F8'),
      ssc: hex('887022120C06C226'),
    });
    const select = sm.unprotect(parseCommand(hex('0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800'))!);
    t.equal(select && toHex(select.data), '011E');
    t.equal(toHex(sm.protect(0xa4, new Uint8Array(0), 0x9000)), '990290008E08FA855A5D4C50A8ED9000');
    const read = sm.unprotect(parseCommand(hex('0CB000000D9701048E08ED6705417E96BA5500'))!);
    t.equal(read?.le, 4);
    t.equal(toHex(sm.protect(0xb0, hex('60145F01'), 0x9000)), '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000');
  },
);

// ICAO 9303-11 App. D: the specimen with MRZ L898902C< / 690806 / 940623 and EF.COM of D.4.
const specimenD: ChipCard = {
  ...base,
  mrzKey: { documentNumber: 'L898902C<', dateOfBirth: '690806', dateOfExpiry: '940623' },
  com: Buffer.from('60145F0104303130365F36063034303030305C026175', 'hex'),
};

t.test(
  'ICAO 9303-11 D.3–D.4 end to end: session and chip, fed the appendix’s randoms, exchange the published APDUs',
  async (t) => {
    const chip = new CccdChip(specimenD, {
      withoutPace: true,
      random: replayRandom(['4608F91988702212', '0B4F80323EB3191CB04970CB4052790B']),
    });
    const channel = new InProcessCardChannel(chip);
    await readChip(channel, {
      mrz: specimenD.mrzKey,
      random: replayRandom(['781723860C06C226', '0B795240CB7049B01C19B33E32804F0B']),
    });
    const exchange = channel.sent.map((apdu, i) => [toHex(apdu), toHex(channel.received[i])]);
    t.same(exchange.slice(4, 8), [
      [
        // EXTERNAL AUTHENTICATE (00 82 00 00), Lc 0x28, the 40-byte cryptogram, Le 0x28: an APDU, not an ID.
        [
          '00820000',
          '28',
          '72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7',
          '28',
        ].join(''),
        '46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000',
      ],
      ['0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', '990290008E08FA855A5D4C50A8ED9000'],
      ['0CB000000D9701048E08ED6705417E96BA5500', '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000'],
      [
        '0CB000040D9701128E082EA28A70F3C7B53500',
        '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
      ],
    ]);
  },
);

// ICAO 9303-11 App. G.1: MRZ T22000129 / 640812 / 101031 and the PACEInfo of the appendix.
const specimenG: ChipCard = {
  ...base,
  mrzKey: { documentNumber: 'T22000129', dateOfBirth: '640812', dateOfExpiry: '101031' },
  cardAccess: Buffer.from('31143012060A04007F0007020204020202010202010D', 'hex'),
};

// SK_PCD,map and SK_PCD of the appendix.
const terminalKeys = [
  '7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99',
  'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
];

t.test(
  'ICAO 9303-11 G.1 end to end: the chip, fed s and the chip keys of the appendix, gives the published answers',
  async (t) => {
    const chip = new CccdChip(specimenG, {
      random: replayRandom([
        '3F00C4D39D153F2B2A214A078D899B22', // s
        '498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560', // SK_PICC,map
        '107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A', // SK_PICC
      ]),
    });
    const channel = new InProcessCardChannel(chip);
    const outcome = await readChip(channel, {
      mrz: specimenG.mrzKey,
      random: (n) => (n === 32 && terminalKeys.length > 0 ? hex(terminalKeys.shift()!) : new Uint8Array(n).fill(7)),
    });
    const exchange = channel.sent.map((apdu, i) => [toHex(apdu), toHex(channel.received[i])]);
    const at = exchange.findIndex(([apdu]) => apdu.startsWith('0022C1A4'));
    t.same(exchange.slice(at, at + 5), [
      ['0022C1A40F800A04007F00070202040202830101', '9000'],
      ['10860000027C0000', '7C12801095A3A016522EE98D01E76CB6B98B42C39000'],
      [
        '10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00',
        '7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000',
      ],
      [
        '10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200',
        '7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000',
      ],
      ['008600000C7C0A8508C2B0BD78D94BA86600', '7C0A86083ABB9674BCE93C089000'],
    ]);
    t.equal(outcome.ok && outcome.value.access, 'pace', 'and the session then reads the card under those keys');
  },
);

t.test('status words: 6D00, 6A82, 6982, 6700, 6B00 and 6988 where a real chip gives them', async (t) => {
  const chip = new CccdChip(base);
  chip.powerOn();
  t.equal(sw(chip.process(hex('00CA010100'))), '6D00', 'unknown instruction');
  t.equal(sw(chip.process(hex('00A4040C07A0000002471001'))), '9000', 'SELECT eMRTD application');
  t.equal(sw(chip.process(hex('00A4020C020107'))), '6A82', 'DG7 is not on the card');
  t.equal(sw(chip.process(hex('00A4020C020101'))), '9000', 'SELECT DG1');
  t.equal(sw(chip.process(hex('00B0000004'))), '6982', 'DG1 before access control');
  t.equal(sw(chip.process(hex('00A4020C0301'))), '6700', 'Lc says 3, one byte follows');
  t.equal(sw(chip.process(hex('0CB000000D9701048E08ED6705417E96BA5500'))), '6987', 'SM command with no session');
  const pace = new CccdChip(base, { selectMfUnsupported: true });
  pace.powerOn();
  t.equal(sw(pace.process(hex('00A4000C023F00'))), '6D00', 'SELECT MF on a CCCD');
  t.equal(sw(pace.process(hex('00B09C00FF'))), '9000', 'EF.CardAccess by short FID');
  t.equal(sw(pace.process(hex('00B0100004'))), '6B00', 'offset beyond EF.CardAccess');
});

t.test('a command with a wrong MAC gets 6988 and ends secure messaging', async (t) => {
  const chip = new CccdChip(base, {
    random: replayRandom(['0102030405060708', '0B4F80323EB3191CB04970CB4052790B']),
    withoutPace: true,
  });
  const bac = new InProcessCardChannel(chip);
  await readChip(bac, {
    mrz: base.mrzKey,
    random: replayRandom(['781723860C06C226', '0B795240CB7049B01C19B33E32804F0B']),
  });
  const lastSelect = bac.sent.find((apdu) => apdu[0] === 0x0c)!;
  const forged = Uint8Array.from(lastSelect);
  forged[forged.length - 2] ^= 1; // a MAC byte
  t.equal(sw(chip.process(forged)), '6988');
  t.equal(sw(chip.process(lastSelect)), '6987', 'secure messaging is over');
});
