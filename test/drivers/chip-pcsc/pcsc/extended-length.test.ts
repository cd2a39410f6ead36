import fc from 'fast-check';
import t from 'tap';
import {
  atrAdvertisesExtendedLength,
  atrHistoricalBytes,
  readerTakesExtendedLength,
} from '../../../../drivers/chip-pcsc/pcsc/extended-length.js';
import { atrWithHistoricalBytes, EXTENDED_LENGTH_ATR, SHORT_ONLY_ATR } from './test-cards.js';

t.test('card capabilities with b7 of the third byte set mean extended length', async (t) => {
  t.equal(atrAdvertisesExtendedLength(EXTENDED_LENGTH_ATR), true);
  t.equal(atrAdvertisesExtendedLength(SHORT_ONLY_ATR), false);
});

t.test('historical bytes are found behind the interface bytes', async (t) => {
  t.same([...atrHistoricalBytes(EXTENDED_LENGTH_ATR)!], [0x80, 0x73, 0x00, 0x00, 0xe0]);
  // TA1 TB1 TC1 present (T0 = 7K), no TD: historical bytes follow directly.
  t.same([...atrHistoricalBytes(Uint8Array.of(0x3b, 0x72, 0x11, 0x22, 0x33, 0xaa, 0xbb))!], [0xaa, 0xbb]);
});

t.test('no card capabilities object, another category, or a truncated ATR mean no', async (t) => {
  t.equal(atrAdvertisesExtendedLength(atrWithHistoricalBytes([0x80, 0x31, 0xfe])), false);
  t.equal(atrAdvertisesExtendedLength(atrWithHistoricalBytes([0x00, 0x73, 0x00, 0x00, 0xe0])), false);
  t.equal(atrAdvertisesExtendedLength(EXTENDED_LENGTH_ATR.subarray(0, 6)), false);
  t.equal(atrAdvertisesExtendedLength(new Uint8Array(0)), false);
});

t.test('arbitrary ATR bytes never throw', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (atr) => {
      atrAdvertisesExtendedLength(atr);
    }),
  );
  t.pass();
});

t.test('the ACR122U is known to take short APDUs only', async (t) => {
  t.equal(readerTakesExtendedLength('ACS ACR122U PICC Interface 00 00'), false);
  t.equal(readerTakesExtendedLength('ACS ACR1252 1S CL Reader [ACR1252 Dual Reader PICC] 00 00'), true);
});
