// Counting the SQL statements a request costs, for the tests that a page stays a bounded number of them.
import type { TestServer } from './server.ts';

/** The fewest statements `s` ran for `run` over three runs: background work (sweeps) can add to one sample. */
export async function fewestStatements(s: TestServer, run: () => Promise<unknown>): Promise<number> {
  const counts: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = s.db.queryCount();
    await run();
    counts.push(s.db.queryCount() - before);
  }
  return Math.min(...counts);
}
