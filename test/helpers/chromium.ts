// Debian's chromium for the browser tests (never a downloaded browser): where it is, and the flags that keep
// it from reaching for the network on this closed machine.
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
