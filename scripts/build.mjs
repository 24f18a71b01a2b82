// `npm run build`: compiles src/ to dist/ ahead of time, so production runs plain JavaScript
// (`node --enable-source-maps dist/main.js`) with no compiler loaded or running beside it. tsc with
// tsconfig.build.json strips the types file by file, rewrites `.ts` imports to `.js` and writes source maps (stack
// traces name the .ts lines); the type check is `npm run typecheck`'s job. The other files under src/ (the bcrypt
// worker, .mjs) are copied as they are. dist/ mirrors src/, so paths resolved from import.meta.url (web/,
// prisma/migrations) hold in both.
//
// `--if-stale` (npm start's prestart, the test suite's setup) builds only when dist/ is missing or older than a file
// under src/ or the build configuration, so `npm ci && npm start` works on a fresh clone and a second start costs a
// directory walk. Plain JavaScript because it runs where TypeScript tooling may be absent.
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** Written last; its mtime is when the build started, so a file saved during a build makes the next start rebuild. */
const STAMP = '.built';
/** What tsc reads or writes: never copied (a stray .js beside its .ts must not replace the compiled one). */
const COMPILED = /\.(ts|js|map)$/;
const CONFIG = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'].map((f) => join(ROOT, f));

/** Every file and directory under `dir` (a directory's mtime changes when an entry is added, renamed or removed). */
async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    yield { path, isFile: entry.isFile() };
    if (entry.isDirectory()) yield* walk(path);
  }
}

async function newestInput() {
  let newest = 0;
  for (const path of CONFIG) newest = Math.max(newest, (await stat(path)).mtimeMs);
  newest = Math.max(newest, (await stat(SRC)).mtimeMs);
  for await (const { path } of walk(SRC)) newest = Math.max(newest, (await stat(path)).mtimeMs);
  return newest;
}

async function isStale() {
  const built = await stat(join(DIST, STAMP)).catch(() => null);
  return !built || built.mtimeMs < (await newestInput());
}

function typescriptCompiler() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error(
      'dist/ is missing or stale and TypeScript is not installed: run `npm ci` (with dev dependencies), then `npm run build`.',
    );
  }
}

async function build() {
  const started = new Date();
  // Built beside dist/ and swapped in whole, so a server starting meanwhile never loads half of one build.
  const out = `${DIST}.tmp-${process.pid}`;
  await rm(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [typescriptCompiler(), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', out], {
    stdio: 'inherit',
  });
  if (tsc.status !== 0) {
    await rm(out, { recursive: true, force: true });
    throw new Error(`tsc failed (${tsc.status ?? tsc.signal})`);
  }
  for await (const { path, isFile } of walk(SRC)) {
    if (!isFile || COMPILED.test(path)) continue;
    const target = join(out, relative(SRC, path));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(path, target);
  }
  await writeFile(join(out, STAMP), '');
  await utimes(join(out, STAMP), started, started);

  const old = `${DIST}.old-${process.pid}`;
  await rename(DIST, old).catch((err) => {
    if (err.code !== 'ENOENT') throw err;
  });
  // Another build that finished first is as fresh as this one: keep it.
  await rename(out, DIST).catch((err) => {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    return rm(out, { recursive: true, force: true });
  });
  await rm(old, { recursive: true, force: true });
}

try {
  if (process.argv.includes('--if-stale')) {
    if (await isStale()) {
      console.error('dist/ is missing or older than src/: building it (npm run build)');
      await build();
    }
  } else {
    await build();
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
