/** Events for one resource within the window share one run; a run never overlaps the previous one for the same resource. */
import { Coalescer } from '../../src/reconciler/events/coalesce';

it('events for one resource within the window share one run; another resource runs on its own', async () => {
  const runs: [string, number[]][] = [];
  const coalescer = new Coalescer<number, number>(50, async (key, items) => {
    runs.push([key, [...items]]);
    return runs.length;
  });
  const results = await Promise.all([coalescer.submit('a', 1), coalescer.submit('a', 2), coalescer.submit('b', 3), coalescer.submit('a', 4)]);
  expect(runs.sort()).toEqual([
    ['a', [1, 2, 4]],
    ['b', [3]],
  ]);
  expect(results[0]).toBe(results[1]);
  expect(results[0]).toBe(results[3]);
});

it('an event during a run waits for it and starts the next run; errors reach every caller of their run', async () => {
  let running = 0;
  let overlapped = false;
  let calls = 0;
  const coalescer = new Coalescer<string, string>(10, async (_key, items) => {
    calls++;
    running++;
    overlapped ||= running > 1;
    await new Promise((resolve) => setTimeout(resolve, 60));
    running--;
    if (items.includes('bad')) throw new Error('run failed');
    return items.join(',');
  });
  const first = coalescer.submit('a', 'bad');
  await new Promise((resolve) => setTimeout(resolve, 30)); // the first run is going
  const second = coalescer.submit('a', 'x');
  const third = coalescer.submit('a', 'y');
  await expect(first).rejects.toThrow('run failed');
  await expect(second).resolves.toBe('x,y');
  await expect(third).resolves.toBe('x,y');
  expect(calls).toBe(2);
  expect(overlapped).toBe(false);
});
