// Preloaded into a measured process (with --expose-gc) by bench/lib/proc.ts: on SIGUSR2, run full GCs and report V8's
// figures on stderr, so the harness can read VmRSS from /proc right after. Nothing else changes in the process.
// With BENCH_HEAP_SNAPSHOT=<dir>, each probe also writes a heap snapshot there (to see what a connection holds).
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';

let snapshots = 0;
process.on('SIGUSR2', () => {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  const dir = process.env.BENCH_HEAP_SNAPSHOT;
  if (dir) writeHeapSnapshot(join(dir, `parley-${process.pid}-${++snapshots}.heapsnapshot`));
  const { heapUsed, external } = process.memoryUsage();
  process.stderr.write(`@@probe ${JSON.stringify({ heapUsed, external })}\n`);
});
