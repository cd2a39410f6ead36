// Opens the store the config asks for (see chooseStorage in collector/config.ts).
import type { StorageChoice } from '../config.js';
import { openPostgresStore } from './postgres.js';
import { openSqliteStore } from './sqlite.js';
import type { CollectorStore } from './types.js';

export async function openStore(choice: StorageChoice, utcOffsetMinutes?: number): Promise<CollectorStore> {
  return choice.kind === 'postgres'
    ? openPostgresStore(choice.url, choice.schema, { utcOffsetMinutes })
    : openSqliteStore(choice.path);
}
