// The import rule of issue #12, run by `npm run lint`: imports point down only.
//
//   contracts/  imports nothing of the project but itself (node built-ins and npm packages only)
//   drivers/    may import contracts/ and itself, never gateway/, collector/, sim/, cli/, bench/ or test/
//   collector/  never imports gateway/ (the IOC's server is deployed apart from any gate)
//   gateway/, collector/  never import tooling: models/fetch-models, face-eval/, bench/, sim/ or cli/
//   nothing outside test/ imports test/
//   only gateway/store/ touches the database (issue #12, the store split): no `better-sqlite3` import in
//   gateway/ or cli/ outside it, and nowhere outside it and test/ a `.db` of a store (`core.store.db`,
//   `this.deps.store.db`) or the `.handle` of a database; features use their repository (store.repos)
//
// Every .ts/.mts/.mjs/.js/.cjs file's static imports, re-exports, dynamic import() with a literal and
// require() are read with the TypeScript compiler's own pre-processor (ts.preProcessFile), so an import split
// over several lines or inside a comment-laden block is read as the compiler reads it. Bare specifiers
// (node:*, npm packages) are always allowed. Exits 1 naming each file and import that breaks the rule.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

export interface SourceText {
  /** Path relative to the repository root, with forward slashes. */
  path: string;
  text: string;
}

export interface ImportViolation {
  file: string;
  specifier: string;
  /** The imported file's path relative to the root (without resolving extensions). */
  target: string;
  rule: string;
}

const SOURCE_FILE = /\.(ts|mts|mjs|js|cjs)$/;
/** Not project source: dependencies, build output, fetched models, generated results. */
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'dist', 'artifacts', 'scratch']);
const SKIPPED_PATHS = new Set(['models/cache', 'bench/results']);

const topFolder = (path: string): string => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '');
const under = (path: string, ...folders: string[]): boolean => folders.some((f) => path.startsWith(`${f}/`));

/** The module specifiers a file imports, as the TypeScript compiler's pre-processor finds them. */
export function importSpecifiers(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Why importing `target` from `file` breaks the rule, or null when it may. */
export function ruleBroken(file: string, target: string): string | null {
  const from = topFolder(file);
  if (from === 'contracts' && !under(target, 'contracts'))
    return 'contracts/ imports only itself, node built-ins and npm packages';
  if (from === 'drivers' && under(target, 'gateway', 'collector', 'sim', 'cli', 'bench', 'test'))
    return 'drivers/ may not import gateway/, collector/, sim/, cli/, bench/ or test/';
  if (from === 'collector' && under(target, 'gateway')) return 'collector/ may not import gateway/';
  if (from !== 'test' && under(target, 'test')) return 'nothing outside test/ imports test/';
  if (
    (from === 'gateway' || from === 'collector') &&
    (/^models\/fetch-models(\.[cm]?[jt]s)?$/.test(target) || under(target, 'face-eval', 'bench', 'sim', 'cli'))
  )
    return 'the daemons never import tooling (models/fetch-models, face-eval/, bench/, sim/, cli/)';
  return null;
}

/** Checks a set of files (virtual or read from disk); only relative specifiers name project files. */
export function checkImports(files: Iterable<SourceText>): ImportViolation[] {
  const violations: ImportViolation[] = [];
  for (const { path, text } of files) {
    for (const specifier of importSpecifiers(text)) {
      if (specifier === 'better-sqlite3' && under(path, 'gateway', 'cli') && !under(path, 'gateway/store')) {
        violations.push({ file: path, specifier, target: specifier, rule: STORE_ONLY_RULE });
        continue;
      }
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) continue;
      const target = posix.normalize(posix.join(posix.dirname(path), specifier));
      const rule = ruleBroken(path, target);
      if (rule) violations.push({ file: path, specifier, target, rule });
    }
  }
  return violations;
}

const STORE_ONLY_RULE =
  'only gateway/store/ touches the database: a feature uses its repository (store.repos) or the event log calls';

export interface StoreHandleUse {
  file: string;
  line: number;
  /** The expression as written, e.g. `core.store.db`. */
  expression: string;
  rule: string;
}

/** The name an expression ends in: `store` for `store`, `this.deps.store` and `core.store`. */
function lastName(e: ts.Expression): string {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e)) return lastName(e.expression);
  return '';
}

/**
 * Uses of the store's connection outside gateway/store/ (and test/, which looks into the file on purpose):
 * `x.db` where x is named like a store, `x.handle` where x is named like a database. Read from the syntax
 * tree, so comments and strings do not count.
 */
export function storeHandleUses(files: Iterable<SourceText>): StoreHandleUse[] {
  const uses: StoreHandleUse[] = [];
  for (const { path, text } of files) {
    if (under(path, 'gateway/store', 'test') || !/\.(db|handle)\b/.test(text)) continue;
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const owner = lastName(node.expression);
        if (
          (node.name.text === 'db' && /store$/i.test(owner)) ||
          (node.name.text === 'handle' && /database$/i.test(owner))
        ) {
          const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
          uses.push({ file: path, line, expression: node.getText(source), rule: STORE_ONLY_RULE });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return uses;
}

export function formatStoreHandleUse(u: StoreHandleUse): string {
  return `${u.file}:${u.line}: uses '${u.expression}': ${u.rule}`;
}

/** Every source file under `root`, paths relative to it. */
export function readSourceTree(root: string): SourceText[] {
  const files: SourceText[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const path = relative(root, full).split(sep).join('/');
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !SKIPPED_PATHS.has(path)) walk(full);
      } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
        files.push({ path, text: readFileSync(full, 'utf8') });
      }
    }
  };
  walk(root);
  return files;
}

export function formatViolation(v: ImportViolation): string {
  return `${v.file}: imports '${v.specifier}' (${v.target}): ${v.rule}`;
}

function main(argv: string[]): number {
  const root = resolve(argv[0] ?? fileURLToPath(new URL('..', import.meta.url)));
  const files = readSourceTree(root);
  const violations = checkImports(files);
  for (const v of violations) process.stderr.write(`${formatViolation(v)}\n`);
  const handleUses = storeHandleUses(files);
  for (const u of handleUses) process.stderr.write(`${formatStoreHandleUse(u)}\n`);
  if (violations.length || handleUses.length) {
    if (violations.length)
      process.stderr.write(
        `check-imports: ${violations.length} import(s) point the wrong way (docs/architecture.md)\n`,
      );
    if (handleUses.length)
      process.stderr.write(
        `check-imports: ${handleUses.length} use(s) of the store's database outside gateway/store/\n`,
      );
    return 1;
  }
  process.stdout.write(`check-imports: ${files.length} files, imports point down only\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
