// Stands in for the `smartcard` package inside the transport's child process, to drive the failure paths
// that real pcscd cannot be made to produce on demand. FAKE_SMARTCARD_MODE picks the misbehaviour:
// 'load-fails' (the native module cannot load), 'hang' (a transmit never returns), 'garbage' (stray bytes
// and an unparseable frame on stdout), 'oversized' (a frame header beyond the bound), else well-behaved.
const { EventEmitter } = require('node:events');

const mode = process.env.FAKE_SMARTCARD_MODE ?? '';
if (mode === 'load-fails') throw new Error('libpcsclite.so.1: cannot open shared object file');

function frame(json) {
  const body = Buffer.from(json, 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

class Devices extends EventEmitter {
  start() {
    setImmediate(() => {
      this.emit('reader-attached', { name: 'Fake Reader 00 00' });
      if (mode === 'garbage') process.stdout.write(frame('{"t":"card-inserted","reader":"Fake Reader 00 00"'));
      if (mode === 'oversized') process.stdout.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
      this.emit('card-inserted', {
        reader: { name: 'Fake Reader 00 00', atr: Buffer.from([0x3b, 0x80, 0x80, 0x01, 0x01]) },
        card: {
          transmit: (apdu) =>
            mode === 'hang' ? new Promise(() => {}) : Promise.resolve(Buffer.concat([apdu, Buffer.from([0x90, 0x00])])),
        },
      });
    });
  }
  stop() {}
}

module.exports = { Devices };
