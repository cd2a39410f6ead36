// gate06 user: local console accounts (operator, security, admin) in the gateway's database.
// Passwords come from stdin or a file, never from the command line (argv shows up in `ps` and shell history).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { USER_ROLES, UserStore } from '../gateway/auth/users.js';
import { EventStore } from '../gateway/store/event-store.js';
import { loadConfigOrReport } from './load-config.js';

const HELP = `usage: gate06 user <add|passwd|disable|enable|list> -c CONFIG [options]

  add      --name NAME --role ${USER_ROLES.join('|')} [--password-file FILE]
  passwd   --name NAME [--password-file FILE]      (ends the user's sessions)
  disable  --name NAME                              (ends the user's sessions)
  enable   --name NAME
  list

The password is read from --password-file, or else from the first line of stdin:
  printf '%s\\n' "$PASSWORD" | gate06 user add -c gateway.yaml --name lan.nguyen --role operator
Exit 0 on success, 1 when the action was refused, 2 on usage or config errors.`;

async function readPassword(file: string | undefined): Promise<string> {
  if (file) return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
  if (process.stdin.isTTY) process.stderr.write('password (input is not hidden; prefer a pipe or --password-file): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h') {
    console.log(HELP);
    return verb ? 0 : 2;
  }
  let values: { config?: string; name?: string; role?: string; 'password-file'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string', short: 'c' },
        name: { type: 'string' },
        role: { type: 'string' },
        'password-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`gate06 user: ${(err as Error).message}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!['add', 'passwd', 'disable', 'enable', 'list'].includes(verb)) {
    console.error(`gate06 user: unknown action "${verb}"\n\n${HELP}`);
    return 2;
  }
  if (!values.config) {
    console.error('gate06 user: -c CONFIG is required');
    return 2;
  }
  const config = loadConfigOrReport(values.config);
  if (!config) return 2;
  if (verb !== 'list' && !values.name) {
    console.error('gate06 user: --name is required');
    return 2;
  }
  // Opened through the event store so a fresh database gets the same pragmas and migrations as the gateway's.
  const store = new EventStore({ path: config.store.path });
  try {
    const users = new UserStore(store.repos.auth);
    const name = values.name ?? '';
    switch (verb) {
      case 'list':
        for (const u of users.list())
          console.log(
            `${u.name}\t${u.role}\t${u.disabled ? 'disabled' : 'active'}\tcreated ${new Date(u.createdAt).toISOString()}\tlast login ${u.lastLoginAt ? new Date(u.lastLoginAt).toISOString() : '-'}`,
          );
        return 0;
      case 'add': {
        if (!values.role) {
          console.error(`gate06 user add: --role ${USER_ROLES.join('|')} is required`);
          return 2;
        }
        const r = await users.add(name, values.role, await readPassword(values['password-file']));
        if (!r.ok) {
          console.error(`gate06 user add: ${r.error}`);
          return 1;
        }
        console.log(`user ${r.user.name} added with role ${r.user.role}`);
        return 0;
      }
      case 'passwd': {
        const r = await users.setPassword(name, await readPassword(values['password-file']));
        if (!r.ok) {
          console.error(`gate06 user passwd: ${r.error}`);
          return 1;
        }
        console.log(`password of ${name} changed; their sessions ended`);
        return 0;
      }
      default: {
        const disable = verb === 'disable';
        if (!users.setDisabled(name, disable)) {
          console.error(`gate06 user ${verb}: no user ${name}`);
          return 1;
        }
        console.log(`user ${name} ${disable ? 'disabled; their sessions ended' : 'enabled'}`);
        return 0;
      }
    }
  } finally {
    store.close();
  }
}
