// `npm run bench [-- --quick] [names...]`: runs the benchmarks one after another, prints each table and appends it to
// bench/RESULTS.md. A benchmark that fails is reported and the rest still run; the exit code says so.
import { benchmarks, pending } from './benchmarks/index.ts';
import { cleanup } from './lib/proc.ts';
import { load, record } from './lib/results.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !benchmarks.some((b) => b.name === n));
if (unknown.length) {
  console.error(`Unknown benchmark ${unknown.join(', ')}. Available: ${benchmarks.map((b) => b.name).join(', ')}`);
  process.exit(2);
}
const selected = names.length ? benchmarks.filter((b) => names.includes(b.name)) : benchmarks;

let failed = 0;
const started = performance.now();
try {
  for (const bench of selected) {
    console.log(`== ${bench.name}: ${bench.title}${quick ? ' (quick)' : ''}`);
    const loadBefore = load();
    const t0 = performance.now();
    try {
      const result = await bench.run({ quick });
      await record(bench.name, result, { quick, loadBefore, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      failed++;
      console.error(`${bench.name} failed:`, err);
    }
  }
} finally {
  await cleanup();
}
if (!names.length) for (const p of pending) console.log(`row ${p.row} (${p.what}): not measurable yet, needs ${p.needs}`);
console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s${failed ? `, ${failed} failed` : ''}`);
process.exit(failed ? 1 : 0);
