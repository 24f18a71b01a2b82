// Group commit (src/db/batch.ts): what is added together is written together, and a failed group is retried item
// by item so that only the bad item's caller sees the error.
import { describe, expect, it } from 'vitest';
import { Batcher } from '../src/db/batch.ts';

describe('Batcher', () => {
  it('writes items added in the same tick as one group, in order, and items added during a write as the next', async () => {
    const groups: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, string>(async (items) => {
      groups.push(items);
      if (groups.length === 1) await gate;
      return items.map((i) => `#${i}`);
    });
    const first = [1, 2, 3].map((i) => b.add(i));
    await new Promise((r) => setImmediate(r)); // the first group is now being written
    const second = [4, 5].map((i) => b.add(i));
    release();
    expect(await Promise.all([...first, ...second])).toEqual(['#1', '#2', '#3', '#4', '#5']);
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('retries a failed group item by item: only the bad item fails', async () => {
    const groups: number[][] = [];
    const b = new Batcher<number, number>(async (items) => {
      groups.push(items);
      if (items.includes(13)) throw new Error('unlucky');
      return items.map((i) => i * 2);
    });
    const results = await Promise.allSettled([1, 13, 3].map((i) => b.add(i)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: new Error('unlucky') },
      { status: 'fulfilled', value: 6 },
    ]);
    expect(groups).toEqual([[1, 13, 3], [1], [13], [3]]);
  });

  it('caps a group at maxItems', async () => {
    const sizes: number[] = [];
    const b = new Batcher<number, number>(async (items) => (sizes.push(items.length), items), 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => b.add(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });
});
