// Module hooks that run the benchmarks' TypeScript (peers, load generators) under plain Node (registered by
// ts-register.mjs). Each .ts file is compiled on load by esbuild, types stripped and nothing else changed, with an
// inline source map so stack traces name the .ts lines. Unlike tsx, it does not wrap every function in a
// name-keeping helper (`__name(fn, "x")`): that helper gives each closure an own `name` property, which costs a
// defineProperty call and a property dictionary (~250 bytes) per closure created. Parley's production build (tsc,
// scripts/build.mjs) adds no such helper either, so a peer runs code of the same shape as Parley.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const TYPESCRIPT = /\.[cm]?ts$/;

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    target: `node${process.versions.node}`,
    sourcemap: 'inline',
    sourcefile: path,
  });
  return { format: 'module', source: code, shortCircuit: true };
}
