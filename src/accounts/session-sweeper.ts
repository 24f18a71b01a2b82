// Expired sessions are deleted and announced every SESSION_SWEEP_SECONDS, so a socket whose session runs out
// closes (4403) even if it never makes another request. Every instance sweeps; the delete decides who announces.
import type { AccountService } from './accounts.service.ts';
import type { Logger } from '../logger.ts';

export function startSessionSweeper(accounts: AccountService, intervalSeconds: number, logger: Logger): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = accounts
      .sweepExpiredSessions()
      .then((n) => n > 0 && logger.debug('expired sessions swept', { count: n }))
      .catch((err) => logger.warn('session sweep failed', { error: (err as Error).message }))
      .finally(() => (running = null));
  }, intervalSeconds * 1000);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
