import t from 'tap';
import { readSingle, stringValue } from '../../../../gateway/credentials/icao/der.js';

const tlv = (tag: number, content: Buffer) => readSingle(Buffer.concat([Buffer.from([tag, content.length]), content]));

t.test('ASN.1 strings decode by their type; anything else is not a string', async (t) => {
  t.equal(stringValue(tlv(0x0c, Buffer.from('Nguyễn Văn Thử', 'utf8'))), 'Nguyễn Văn Thử'); // SYNTHETIC name
  t.equal(stringValue(tlv(0x13, Buffer.from('VN'))), 'VN');
  t.equal(stringValue(tlv(0x1a, Buffer.from('Ha Nam'))), 'Ha Nam');
  t.equal(stringValue(tlv(0x1e, Buffer.from([0x00, 0x56, 0x00, 0x4e]))), 'VN', 'BMPString is big-endian UTF-16');
  t.equal(stringValue(tlv(0x1e, Buffer.from([0x00, 0x56, 0x00]))), null, 'odd-length BMPString');
  t.equal(stringValue(tlv(0x02, Buffer.from([0x01]))), null, 'an INTEGER');
});
