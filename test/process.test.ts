// The real entry point, as `npm start` runs it (the ahead-of-time build, `node --enable-source-maps dist/main.js`):
// a child process on a temporary data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { openDatabase } from '../src/db/client.ts';
import { adminUrl } from './helpers/postgres.ts';
import { MAIN_ARGS } from './helpers/server.ts';
import { openToOthers } from './helpers/modes.ts';

const root = new URL('..', import.meta.url).pathname;
const started: ChildProcess[] = [];
// A failed assertion must not leave a server running (npm passes the signal on to it).
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

/** Parley as a child process: `node <MAIN_ARGS>` by default, or another command that starts it (`npm start`). */
function startMain(
  env: Record<string, string>,
  [command, args]: [string, string[]] = [process.execPath, MAIN_ARGS],
): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', BCRYPT_COST: '4', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let out = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const m = /"msg":"parley listening","url":"([^"]+)"/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening:\n${out}`)));
  });
  url.catch(() => {});
  return { child, url, output: () => out };
}

/** Pids whose parent is `pid` (Linux: /proc/<pid>/stat, field 4). */
async function childProcesses(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/** Runs `node <args>` from the repository root; resolves with its exit code and output. */
async function node(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const [code] = await once(child, 'exit');
  return { code, out };
}

describe.skipIf(!!process.env.TEST_DATABASE_URL)('npm start (embedded)', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  // A fresh embedded database (initdb + migrations) in a child process: slow on a busy machine, hence the timeout.
  it('serves, keeps a generated secret, refuses a second process, and exits 0 on SIGTERM to npm', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-main-'));
    dirs.push(dir);
    await chmod(dir, 0o755);
    // A lock file naming a live process that is not Parley (this test runner) does not block start-up.
    await mkdir(join(dir, 'pglite'));
    await writeFile(join(dir, 'pglite', 'parley.lock'), String(process.pid));
    const first = startMain({ DATA_DIR: dir }, ['npm', ['start', '--silent']]);
    const url = await first.url;
    expect((await fetch(`${url}/ready`)).status).toBe(200);
    if (process.platform === 'linux') {
      // npm's one child is the server itself (no shell between them, so a signal to npm reaches it), and the server
      // has none: plain JavaScript, no compiler process (an esbuild service, say) to be signalled in its place.
      const [server, ...others] = await childProcesses(first.child.pid!);
      expect(others).toEqual([]);
      expect((await readFile(`/proc/${server}/cmdline`, 'utf8')).split('\0').slice(1, -1)).toEqual(MAIN_ARGS);
      expect(await childProcesses(server)).toEqual([]);
    }
    const secrets = JSON.parse(await readFile(join(dir, 'secrets.json'), 'utf8'));
    expect(secrets.authSecret.length).toBeGreaterThanOrEqual(32);
    // Fresh PGlite files (0666) and directories (0755), migrated: none of it open to the group or others.
    expect(await openToOthers(dir)).toEqual([]);

    const second = startMain({ DATA_DIR: dir });
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(1);
    expect(second.output()).toMatch(/in use by another Parley process/);

    first.child.kill('SIGTERM');
    const [exitCode] = await once(first.child, 'exit');
    expect(exitCode).toBe(0);
    expect(first.output()).toMatch(/"msg":"stopping"/);
  });

  it('stops at start-up naming every bad variable', async () => {
    const bad = startMain({ PORT: 'x', LOG_LEVEL: 'shout' });
    const [code] = await once(bad.child, 'exit');
    expect(code).toBe(1);
    expect(bad.output()).toMatch(/PORT=/);
    expect(bad.output()).toMatch(/LOG_LEVEL=/);
  });
});

describe('the production build (dist/, npm run build)', () => {
  it('maps stack traces to the .ts lines (--enable-source-maps)', async () => {
    const source = await readFile(join(root, 'src/config.ts'), 'utf8');
    const line = source.split('\n').findIndex((l) => l.includes('throw new ConfigError(')) + 1;
    expect(line).toBeGreaterThan(0);
    const probe =
      "const { parseConfig } = await import('./dist/config.js'); try { parseConfig({ PORT: 'x' }); } catch (err) { console.log(err.stack); }";
    const { code, out } = await node(['--enable-source-maps', '--input-type=module', '-e', probe]);
    expect(code).toBe(0);
    expect(out).toContain(`${join(root, 'src/config.ts')}:${line}:`);
  });

  it('is what tsc emits: no name-keeping or other helpers, so closures stay plain functions', async () => {
    const files = (await readdir(join(root, 'dist'), { recursive: true })).filter((f) => f.endsWith('.js'));
    expect(files).toContain('main.js');
    const helpers: string[] = [];
    for (const file of files) {
      if (/\b__(name|defProp|publicField|decorate|awaiter)\(/.test(await readFile(join(root, 'dist', file), 'utf8'))) helpers.push(file);
    }
    expect(helpers).toEqual([]);
  });
});

describe.skipIf(!process.env.TEST_DATABASE_URL)('migrations on PostgreSQL', () => {
  it('two instances migrating one fresh database at once both come up', async () => {
    const base = process.env.TEST_DATABASE_URL!;
    const name = `parley_mig_${process.pid}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    try {
      const [a, b] = await Promise.all([openDatabase({ url: adminUrl(base, name) }), openDatabase({ url: adminUrl(base, name) })]);
      const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
      // exactly one of them applied the migrations; the other waited for the lock and found nothing to do
      expect([...ra, ...rb].length).toBe(ra.length + rb.length);
      expect(Math.min(ra.length, rb.length)).toBe(0);
      expect(Math.max(ra.length, rb.length)).toBeGreaterThan(0);
      expect(await a.ping()).toBe(true);
      expect(await b.prisma.tenant.count()).toBe(1);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
