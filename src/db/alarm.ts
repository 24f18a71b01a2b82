// What the database says only in its errors. A full disk leaves reads working (a readiness probe's SELECT 1 passes)
// while writes fail, so the errors themselves are watched and /ready reports "disk full" for a while after the last.
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { isDiskFull } from '../errors.ts';

export class ResourceAlarm {
  private diskFullAt = -Infinity;

  constructor(private readonly reportMs = 30_000) {}

  /** Looks at an error the database raised. */
  readonly note = (err: unknown): void => {
    if (isDiskFull(err)) this.diskFullAt = performance.now();
  };

  /** "disk full" within reportMs of the last such error, else null. */
  current(): string | null {
    return performance.now() - this.diskFullAt < this.reportMs ? 'disk full' : null;
  }
}

// The adapter methods that run SQL (and the ones handing out adapters and transactions that do).
const OBSERVED = new Set<PropertyKey>(['connect', 'connectToShadowDb', 'startTransaction', 'queryRaw', 'executeRaw', 'executeScript']);

/**
 * `factory` with every error its adapters and their transactions raise passed to `seen` on its way to Prisma. A
 * statement failing inside a transaction never reaches the driver's caller (Prisma rolls back and answers), so this is
 * the one place that sees them all, on PostgreSQL and PGlite alike.
 */
export function observeErrors<T extends SqlDriverAdapterFactory>(factory: T, seen: (err: unknown) => void): T {
  const observe = <O extends object>(target: O): O =>
    new Proxy(target, {
      get(obj, key) {
        const value = Reflect.get(obj, key, obj) as unknown;
        if (typeof value !== 'function') return value;
        if (!OBSERVED.has(key)) return value.bind(obj);
        return async (...args: unknown[]) => {
          try {
            const result = (await value.apply(obj, args)) as unknown;
            return key === 'queryRaw' || key === 'executeRaw' || key === 'executeScript' ? result : observe(result as object);
          } catch (err) {
            seen(err);
            throw err;
          }
        };
      },
    });
  return observe(factory);
}
