// Printing a benchmark's table and appending it to bench/RESULTS.md with the machine it ran on.
import { appendFile, readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { PINNING, LOG_LEVEL, databaseKind } from './proc.ts';
import { round } from './stats.ts';

export const RESULTS_FILE = resolve(import.meta.dirname, '../RESULTS.md');

export interface Line {
  metric: string;
  ours: string;
  peer: string;
  /** ours / peer, as the target reads it (e.g. "0.83x"). */
  ratio: string;
  target: string;
  /** true = PASS, false = MISS, null = informational. */
  pass: boolean | null;
}

export interface BenchResult {
  title: string;
  lines: Line[];
  notes: string[];
}

export function machine(): string {
  const model = cpus()[0]?.model?.trim() || 'unknown CPU';
  return `${cpus().length} cores (${model}), Node ${process.version}, ${process.platform}`;
}

export const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

export function ratioText(ours: number, peer: number): string {
  return `${(ours / peer).toFixed(2)}x`;
}

function table(lines: Line[]): string {
  const rows = [
    ['metric', 'Parley', 'peer', 'ratio', 'target', 'result'],
    ['---', '---:', '---:', '---:', '---', '---'],
    ...lines.map((l) => [l.metric, l.ours, l.peer, l.ratio, l.target, l.pass === null ? '' : l.pass ? 'PASS' : 'MISS']),
  ];
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

let headerWritten = false;
const runStarted = new Date();

/** Appends one benchmark's table (and, the first time in a run, a header naming the run and machine). */
export async function record(name: string, result: BenchResult, meta: { quick: boolean; loadBefore: string; seconds: number }) {
  const text = table(result.lines);
  console.log(`\n${result.title}\n${text}\n${result.notes.map((n) => `- ${n}`).join('\n')}\n`);
  let out = '';
  if (!headerWritten) {
    headerWritten = true;
    const exists = await readFile(RESULTS_FILE, 'utf8').catch(() => null);
    if (exists === null) out += '# Benchmark results\n\nAppended by `npm run bench`; newest last. See README.md for the method.\n';
    out +=
      `\n## ${runStarted.toISOString().replace(/\.\d+Z$/, 'Z')}${meta.quick ? ' (--quick)' : ''}\n\n` +
      `Machine: ${machine()}. Database: ${databaseKind()}. Server LOG_LEVEL=${LOG_LEVEL}, NODE_ENV=production. ` +
      (PINNING ? 'Server pinned to core 0, load to core 1 (taskset).' : 'No pinning (taskset or a second core missing).') +
      '\n';
  }
  out +=
    `\n### ${result.title} (\`${name}\`)\n\n` +
    `Load average (1/5/15 min) before: ${meta.loadBefore}, after: ${load()}; took ${meta.seconds.toFixed(0)} s.\n\n` +
    `${text}\n` +
    (result.notes.length ? `\n${result.notes.map((n) => `- ${n}`).join('\n')}\n` : '');
  await appendFile(RESULTS_FILE, out);
}

/** A table line comparing two numbers; `target` is the bound on ours / peer ('>=' for throughput, '<=' for cost). */
export function compare(metric: string, ours: number, peer: number, target?: ['>=' | '<=', number], digits = 2): Line {
  const ratio = ours / peer;
  return {
    metric,
    ours: round(ours, digits).toString(),
    peer: round(peer, digits).toString(),
    ratio: `${ratio.toFixed(2)}x`,
    target: target ? `${target[0]} ${target[1].toFixed(2)}x` : '',
    pass: target ? (target[0] === '>=' ? ratio >= target[1] : ratio <= target[1]) : null,
  };
}
