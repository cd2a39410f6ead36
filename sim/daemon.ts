// Runs the real `gate06 gateway` daemon as a child process on a config file: for end-to-end tests and for
// the benchmarks that measure the daemon as it runs on a gate box.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { GatewayConfig } from '../gateway/config/schema.js';
import { ROOT } from './demo-site.js';

export interface Daemon {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export function writeConfig(config: GatewayConfig, dir: string): string {
  const file = join(dir, 'gateway.yaml');
  writeFileSync(file, stringify(config));
  return file;
}

export async function startDaemon(configFile: string, env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/gate06.mjs'), 'gateway', '-c', configFile], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}`)), 60_000);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      // The daemon survives an unhandled rejection (it logs it and raises daemon-fault); a run that caused one
      // still has a bug, so whoever stops the daemon hears of it.
      if (/unhandled promise rejection/.test(out))
        throw new Error(`the daemon logged an unhandled promise rejection:\n${out.slice(-4000)}`);
      return code;
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
