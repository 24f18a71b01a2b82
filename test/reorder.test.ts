// The reorder stage of the event fan-out (src/realtime/reorder.ts), on its own.
import { describe, expect, it } from 'vitest';
import { Reorderer } from '../src/realtime/reorder.ts';

type E = { c: string; s: number };
const make = (windowMs = 10_000) => {
  const released: E[][] = [];
  let wake: (() => void) | null = null;
  const r = new Reorderer<E>({ key: (e) => e.c, sequence: (e) => e.s, windowMs }, (events) => {
    released.push(events);
    wake?.();
  });
  const nextRelease = () => new Promise<void>((resolve) => (wake = resolve));
  return { r, released, nextRelease };
};
const seqs = (events: E[]) => events.map((e) => e.s);

describe('Reorderer', () => {
  it('hands out events in order at once, and puts a swapped pair back in order', () => {
    const { r } = make();
    expect(seqs(r.push({ c: 'a', s: 1 }))).toEqual([1]);
    expect(seqs(r.push({ c: 'a', s: 2 }))).toEqual([2]);
    expect(seqs(r.push({ c: 'a', s: 4 }))).toEqual([]);
    expect(r.held()).toBe(1);
    expect(seqs(r.push({ c: 'a', s: 3 }))).toEqual([3, 4]);
    expect(r.held()).toBe(0);
  });

  it('keeps each key apart and passes repeats through', () => {
    const { r } = make();
    r.push({ c: 'a', s: 10 });
    r.push({ c: 'b', s: 1 });
    expect(seqs(r.push({ c: 'b', s: 3 }))).toEqual([]);
    expect(seqs(r.push({ c: 'a', s: 11 }))).toEqual([11]);
    expect(seqs(r.push({ c: 'a', s: 11 }))).toEqual([11]);
    expect(seqs(r.push({ c: 'b', s: 2 }))).toEqual([2, 3]);
  });

  it('lets held events go after the window when the missing one never comes, in order', async () => {
    const { r, released, nextRelease } = make(20);
    r.push({ c: 'a', s: 1 });
    const woke = nextRelease();
    expect(r.push({ c: 'a', s: 5 })).toEqual([]);
    expect(r.push({ c: 'a', s: 3 })).toEqual([]);
    await woke;
    expect(released.map(seqs)).toEqual([[3, 5]]);
    // It moved on: the next one after them goes at once; a late one is passed through for the streams' gates.
    expect(seqs(r.push({ c: 'a', s: 6 }))).toEqual([6]);
    expect(seqs(r.push({ c: 'a', s: 2 }))).toEqual([2]);
  });

  it('holds a bounded number of events per key', () => {
    const { r } = make();
    r.push({ c: 'a', s: 1 });
    let out: E[] = [];
    for (let s = 3; out.length === 0 && s < 1000; s++) out = r.push({ c: 'a', s });
    expect(out.length).toBeGreaterThan(100);
    expect(seqs(out)).toEqual([...seqs(out)].sort((x, y) => x - y));
    expect(r.held()).toBe(0);
  });

  it('close() hands out what is held', () => {
    const { r, released } = make();
    r.push({ c: 'a', s: 1 });
    r.push({ c: 'a', s: 3 });
    r.close();
    expect(released.map(seqs)).toEqual([[3]]);
  });
});
