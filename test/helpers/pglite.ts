// What every embedded database a test worker opens shares: PGlite's WebAssembly compiled once, and the migrated
// template. Compiling per database made a test file compile and free the same 10 MB module dozens of times, and on
// Node 24 that churn of WebAssembly code occasionally aborts the process inside V8 ("Check failed:
// jit_page_->allocations_.erase(addr) == 1", nodejs/node#64500). One module per worker, alive for the worker's
// life, is never freed, and each open skips the compile.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { inject } from 'vitest';
import type { PGliteWasm } from '../../src/db/client.js';

let wasm: Promise<PGliteWasm> | undefined;
let template: Promise<Blob> | undefined;

async function compile(file: string): Promise<WebAssembly.Module> {
  const dist = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  return WebAssembly.compile(await readFile(join(dist, file)));
}

/** PGlite's modules, compiled on first use in this worker. */
export function pgliteWasm(): Promise<PGliteWasm> {
  wasm ??= Promise.all([compile('pglite.wasm'), compile('initdb.wasm')]).then(([pglite, initdb]) => ({ pglite, initdb }));
  return wasm;
}

/** The run's migrated PGlite template (a tarball made by global-setup.ts); a Blob is read, never consumed. */
export function pgliteTemplate(): Promise<Blob> {
  template ??= readFile(inject('pgliteTemplate')).then((bytes) => new Blob([new Uint8Array(bytes)]));
  return template;
}

/** Options for openDatabase() of a PGlite database in a test: the shared modules and, unless `bare`, the template. */
export async function testPGlite(opts: { bare?: boolean } = {}): Promise<{ pgliteWasm: PGliteWasm; pgliteTemplate?: Blob }> {
  return { pgliteWasm: await pgliteWasm(), ...(opts.bare ? {} : { pgliteTemplate: await pgliteTemplate() }) };
}
