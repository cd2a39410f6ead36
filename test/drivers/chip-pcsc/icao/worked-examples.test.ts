// The published worked examples of ICAO Doc 9303 Part 11 (8th ed.), with their exact values: Appendix D
// (BAC, 3DES secure messaging) and Appendix G.1 (PACE ECDH generic mapping on brainpoolP256r1, AES-128).
// The values were checked against the copies in gmrtd's tests (bac/bac_test.go, iso7816/nfc_session_test.go,
// pace/pace_test.go, MIT) and /work/shared/notes/chip-reading.md §5; none was produced by this code.
import t from 'tap';
import { type CardChannel, CardChannelError } from '../../../../drivers/chip-pcsc/card-channel.js';
import { bacKeys, pacePasswordKey } from '../../../../drivers/chip-pcsc/icao/key-derivation.js';
import { SecureMessaging } from '../../../../drivers/chip-pcsc/icao/secure-messaging.js';
import { readChip } from '../../../../drivers/chip-pcsc/icao/session.js';
import { AES_SUITE, aesCbcDecrypt, TDES_SUITE } from '../../../../drivers/chip-pcsc/icao/sm-cipher.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** A random source that hands out the given values in order (the terminal's randoms of a worked example). */
export function replayRandom(values: string[]): (n: number) => Uint8Array {
  const queue = values.map(hex);
  return (n) => {
    const next = queue.shift();
    if (!next || next.length !== n)
      throw new Error(`replayed random: wanted ${n} bytes, had ${next?.length ?? 'none'}`);
    return next;
  };
}

/** A card that answers from a script and fails the test on any APDU off the script. */
function scriptedCard(script: [string, string][]): CardChannel & { sent: string[] } {
  const sent: string[] = [];
  return {
    extendedLength: true,
    sent,
    async transmit(apdu) {
      sent.push(toHex(apdu));
      const step = script.shift();
      if (!step) throw new CardChannelError('end of the worked example', { removed: true });
      if (step[0] !== '*' && step[0] !== toHex(apdu))
        throw new CardChannelError(`off script: expected ${step[0]}`, { removed: true });
      return hex(step[1]);
    },
  };
}

// --- Appendix D.2: BAC keys from MRZ_information L898902C<369080619406236 ---
const D_MRZ = { documentNumber: 'L898902C<', dateOfBirth: '690806', dateOfExpiry: '940623' };

t.test('D.2: Kseed, KEnc and KMAC from the MRZ of the specimen passport', async (t) => {
  const keys = bacKeys(D_MRZ);
  t.equal(toHex(keys.kSeed), '239AB9CB282DAF66231DC5A4DF6BFBAE');
  t.equal(toHex(keys.kEnc), 'AB94FDECF2674FDFB9B391F85D7F76F2');
  t.equal(toHex(keys.kMac), '7962D9ECE03D1ACD4C76089DCE131543');
});

t.test('D.3: BAC sends the published EXTERNAL AUTHENTICATE and accepts the published answer', async (t) => {
  const card = scriptedCard([
    ['00A4000C023F00', '9000'], // SELECT MF
    ['00A4020C02011C', '6A82'], // no EF.CardAccess: BAC
    ['00A4040C07A0000002471001', '9000'],
    ['0084000008', '4608F919887022129000'], // RND.IC
    [
      // EXTERNAL AUTHENTICATE (00 82 00 00), Lc 0x28, the 40-byte cryptogram, Le 0x28: an APDU, not an ID.
      ['00820000', '28', '72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7', '28'].join(
        '',
      ),
      '46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D74499000',
    ],
    // D.4: the first protected command is SELECT EF.COM, then READ BINARY of 4 bytes, then the other 18.
    ['0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800', '990290008E08FA855A5D4C50A8ED9000'],
    ['0CB000000D9701048E08ED6705417E96BA5500', '8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000'],
    [
      '0CB000040D9701128E082EA28A70F3C7B53500',
      '871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000',
    ],
  ]);
  const result = await readChip(card, {
    mrz: D_MRZ,
    random: replayRandom(['781723860C06C226', '0B795240CB7049B01C19B33E32804F0B']), // RND.IFD, K.IFD
  });
  t.equal(card.sent.length, 9, 'every scripted APDU matched, then the session went on to DG14');
  t.notOk(result.ok);
  if (!result.ok) t.equal(result.reason, 'chip.removed', 'the script ends where the appendix ends');
});

t.test('D.4: 3DES secure messaging wraps and unwraps the published APDUs under KSenc, KSmac and SSC', async (t) => {
  const sm = new SecureMessaging({
    suite: TDES_SUITE,
    ksEnc: hex('979EC13B1CBFE9DCD01AB0FED307EAE5'),
    ksMac: hex('F1CB1F1FB5ADF208806B89DC579DC1F8'),
    ssc: hex('887022120C06C226'),
  });
  t.equal(
    toHex(await sm.protect({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: hex('011E') })),
    '0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800',
  );
  const selected = await sm.unprotect(hex('990290008E08FA855A5D4C50A8ED9000'));
  t.ok(selected.ok && selected.value.sw === 0x9000);
  t.equal(
    toHex(await sm.protect({ cla: 0, ins: 0xb0, p1: 0, p2: 0, le: 4 })),
    '0CB000000D9701048E08ED6705417E96BA5500',
  );
  const head = await sm.unprotect(hex('8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000'));
  t.equal(head.ok && toHex(head.value.data), '60145F01');
  t.equal(
    toHex(await sm.protect({ cla: 0, ins: 0xb0, p1: 0, p2: 4, le: 0x12 })),
    '0CB000040D9701128E082EA28A70F3C7B53500',
  );
  const rest = await sm.unprotect(
    hex('871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000'),
  );
  t.equal(rest.ok && toHex(rest.value.data), '04303130365F36063034303030305C026175');
  t.equal(toHex(sm.ssc), '887022120C06C22C', 'SSC after three command/response pairs');
});

t.test('D.4: a response with one MAC byte changed is refused as bad-mac', async (t) => {
  const sm = new SecureMessaging({
    suite: TDES_SUITE,
    ksEnc: hex('979EC13B1CBFE9DCD01AB0FED307EAE5'),
    ksMac: hex('F1CB1F1FB5ADF208806B89DC579DC1F8'),
    ssc: hex('887022120C06C226'),
  });
  await sm.protect({ cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: hex('011E') });
  const outcome = await sm.unprotect(hex('990290008E08FA855A5D4C50A8EE9000'));
  t.same(outcome.ok ? 'accepted' : outcome.reason, 'bad-mac');
});

// --- Appendix G.1: PACE, ECDH generic mapping, brainpoolP256r1, AES-128, MRZ T22000129 / 640812 / 101031 ---
const G_MRZ = { documentNumber: 'T22000129', dateOfBirth: '640812', dateOfExpiry: '101031' };

t.test('G.1: Kπ from the MRZ password (hashed) and from CAN 123456 (not hashed)', async (t) => {
  t.equal(toHex(pacePasswordKey({ kind: 'mrz', ...G_MRZ }, 'aes-128')), '89DED1B26624EC1E634C1989302849DD');
  // CAN vector: ZeroPass/dmrtd test/access_key_test.dart.
  t.equal(toHex(pacePasswordKey({ kind: 'can', can: '123456' }, 'aes-128')), '591468CDA83D65219CCCB8560233600F');
});

t.test('G.1: the encrypted nonce decrypts to the published s', async (t) => {
  const s = aesCbcDecrypt(
    hex('89DED1B26624EC1E634C1989302849DD'),
    new Uint8Array(16),
    hex('95A3A016522EE98D01E76CB6B98B42C3'),
  );
  t.equal(toHex(s), '3F00C4D39D153F2B2A214A078D899B22');
});

t.test(
  'G.1: PACE sends the published APDUs, checks the published chip token and uses the published session keys',
  async (t) => {
    const card = scriptedCard([
      ['00A4000C023F00', '6D00'], // as CCCD: SELECT MF unsupported
      ['00B09C0004', '6A82'], // no EF.CardAccess by short FID either
      ['00A4020C02011C', '6A82'], // nor by FID: the known CCCD profile has this PACEInfo (parameter 13)
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
    const result = await readChip(card, {
      mrz: G_MRZ,
      // SK_PCD,map and SK_PCD of the appendix.
      random: replayRandom([
        '7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99',
        'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
      ]),
    });
    t.equal(card.sent.length, 9, 'all eight scripted APDUs matched and PACE finished');
    // The ninth APDU is SELECT of the eMRTD application under the published KSenc/KSmac with SSC 0.
    const expected = await new SecureMessaging({
      suite: AES_SUITE,
      ksEnc: hex('F5F0E35C0D7161EE6724EE513A0D9A7F'),
      ksMac: hex('FE251C7858B356B24514B3BD5F4297D1'),
      ssc: new Uint8Array(16),
    }).protect({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: hex('A0000002471001') });
    t.equal(card.sent[8], toHex(expected));
    t.notOk(result.ok);
    if (!result.ok) t.equal(result.reason, 'chip.removed');
  },
);

t.test('G.1: a chip token other than the published one is chip.access-denied', async (t) => {
  const card = scriptedCard([
    ['*', '9000'],
    ['*', '9000'],
    ['*', '31143012060A04007F0007020204020202010202010D9000'], // READ BINARY: PACEInfo of G.1, 22 bytes
    ['0022C1A40F800A04007F00070202040202830101', '9000'],
    ['*', '7C12801095A3A016522EE98D01E76CB6B98B42C39000'],
    [
      '*',
      '7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000',
    ],
    [
      '*',
      '7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000',
    ],
    ['*', '7C0A86083ABB9674BCE93C099000'],
  ]);
  const result = await readChip(card, {
    mrz: G_MRZ,
    random: replayRandom([
      '7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99',
      'A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595',
    ]),
  });
  t.same(result.ok ? 'ok' : result.reason, 'chip.access-denied');
});
