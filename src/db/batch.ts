// Group commit for hot, independent writes: items added while a write is in flight (or in the same tick) go out
// together in the next statement. One statement for a burst of N writes instead of N: on embedded PGlite, where
// every statement queues for one connection, this is what keeps a burst of chats from queueing behind each other.
// If a grouped write fails, each item is retried alone, so one bad row fails only its own caller.

export class Batcher<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;

  /** `write` takes the items and returns one result per item, in order. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxItems = 200,
  ) {}

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxItems);
      try {
        const results = await this.write(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(results[i]));
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else for (const b of batch) await this.write([b.item]).then((r) => b.resolve(r[0]), b.reject);
      }
    }
    this.flushing = false;
  }
}
