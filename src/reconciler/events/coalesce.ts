/**
 * Coalescing: the events for one resource that arrive within a short window share one run,
 * and a run never starts while the previous one for the same resource is still going (the
 * events that came meanwhile share the next run). Every caller gets its run's result or error.
 */
import { delay } from '../concurrency';

interface Batch<T, R> {
  items: T[];
  result: Promise<R>;
}

export class Coalescer<T, R> {
  readonly #waiting = new Map<string, Batch<T, R>>();
  readonly #running = new Map<string, Promise<R>>();

  constructor(
    private readonly windowInMs: number,
    private readonly run: (key: string, items: T[]) => Promise<R>,
  ) {}

  submit(key: string, item: T): Promise<R> {
    const waiting = this.#waiting.get(key);
    if (waiting) {
      waiting.items.push(item);
      return waiting.result;
    }
    const items = [item];
    const previous = this.#running.get(key);
    const result = (async () => {
      await delay(this.windowInMs);
      await previous?.catch(() => undefined);
      this.#waiting.delete(key);
      const running = this.run(key, items);
      this.#running.set(key, running);
      try {
        return await running;
      } finally {
        if (this.#running.get(key) === running) this.#running.delete(key);
      }
    })();
    this.#waiting.set(key, { items, result });
    return result;
  }
}
