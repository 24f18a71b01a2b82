// Preloaded into a measured process (with --expose-gc) by bench/lib/proc.ts: on SIGUSR2, run full GCs and report V8's
// figures on stderr, so the harness can read VmRSS from /proc right after. Nothing else changes in the process.
process.on('SIGUSR2', () => {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
  const { heapUsed, external } = process.memoryUsage();
  process.stderr.write(`@@probe ${JSON.stringify({ heapUsed, external })}\n`);
});
