/**
 * Leases in the state storage, so two instances never reconcile the same pairs at once.
 * Taken like the alert store's claims: create-if-absent, or take over an expired lease with
 * an If-Match write; the loser of a race gets a conflict. A lease that is never released
 * (the instance died) expires and may be taken over.
 *
 * The timer tick holds EVERY_GROUP while it runs. An event reconcile takes its group's lease
 * first and then checks EVERY_GROUP; the tick takes EVERY_GROUP first and then waits for the
 * group leases to go. Each side writes before it reads, so one of them always sees the other.
 */
import type { TableClient } from '@azure/data-tables';
import { delay } from '../concurrency';
import { hashKey, isStatus, tableClient, type StateConnection } from '../state/store';

export const EVERY_GROUP = '*';
const PARTITION = 'lease';

interface LeaseEntity {
  partitionKey: string;
  rowKey: string;
  key: string;
  holder: string;
  expiresAt: string;
}

export interface Lease {
  key: string;
  holder: string;
  etag: string;
}

export interface LeaseStore {
  /** Takes the lease if it is free or expired; undefined when another holder has it. */
  tryAcquire(key: string, holder: string, ttlInMs: number): Promise<Lease | undefined>;
  /** Releases only a lease still held as taken (a taken-over lease is left to its new holder). */
  release(lease: Lease): Promise<void>;
  /** Is the lease held by someone (and not expired)? */
  isHeld(key: string): Promise<boolean>;
  /** Unexpired leases other than EVERY_GROUP. */
  heldGroups(): Promise<string[]>;
}

export class TableLeaseStore implements LeaseStore {
  readonly #table: TableClient;
  #ready?: Promise<void>;

  constructor(
    connection: StateConnection,
    table: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#table = tableClient(connection, table);
  }

  #ensureTable(): Promise<void> {
    this.#ready ??= this.#table.createTable().catch((error) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #read(key: string): Promise<(LeaseEntity & { etag: string }) | undefined> {
    try {
      return await this.#table.getEntity<LeaseEntity>(PARTITION, hashKey(key));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async tryAcquire(key: string, holder: string, ttlInMs: number): Promise<Lease | undefined> {
    await this.#ensureTable();
    const entity: LeaseEntity = { partitionKey: PARTITION, rowKey: hashKey(key), key, holder, expiresAt: new Date(this.now() + ttlInMs).toISOString() };
    const current = await this.#read(key);
    try {
      if (!current) {
        const created = await this.#table.createEntity(entity);
        return { key, holder, etag: created.etag ?? '' };
      }
      if (Date.parse(current.expiresAt) > this.now()) return undefined;
      const replaced = await this.#table.updateEntity(entity, 'Replace', { etag: current.etag });
      return { key, holder, etag: replaced.etag ?? '' };
    } catch (error) {
      if (isStatus(error, 409, 412, 404)) return undefined;
      throw error;
    }
  }

  async release(lease: Lease): Promise<void> {
    await this.#ensureTable();
    try {
      await this.#table.deleteEntity(PARTITION, hashKey(lease.key), { etag: lease.etag });
    } catch (error) {
      if (!isStatus(error, 404, 412)) throw error;
    }
  }

  async isHeld(key: string): Promise<boolean> {
    await this.#ensureTable();
    const current = await this.#read(key);
    return current !== undefined && Date.parse(current.expiresAt) > this.now();
  }

  async heldGroups(): Promise<string[]> {
    await this.#ensureTable();
    const held: string[] = [];
    for await (const entity of this.#table.listEntities<LeaseEntity>({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'` } })) {
      if (entity.key !== EVERY_GROUP && Date.parse(entity.expiresAt) > this.now()) held.push(entity.key);
    }
    return held;
  }
}

export interface WaitOptions {
  /** Give up after this long; default 30 s. */
  waitInMs?: number;
  pollInMs?: number;
  abortSignal?: AbortSignal;
}

/**
 * The leases of every group, then a check that no tick holds EVERY_GROUP; retried until
 * `waitInMs`. Undefined when they could not all be had: the caller fails, so Event Grid
 * delivers again later (and the next tick covers it anyway).
 */
export async function acquireGroups(store: LeaseStore, keys: string[], holder: string, ttlInMs: number, options: WaitOptions = {}): Promise<Lease[] | undefined> {
  const until = Date.now() + (options.waitInMs ?? 30_000);
  const sorted = [...new Set(keys)].sort();
  for (;;) {
    const taken: Lease[] = [];
    for (const key of sorted) {
      const lease = await store.tryAcquire(key, holder, ttlInMs);
      if (!lease) break;
      taken.push(lease);
    }
    if (taken.length === sorted.length && !(await store.isHeld(EVERY_GROUP))) return taken;
    await Promise.all(taken.map((lease) => store.release(lease)));
    if (Date.now() >= until || options.abortSignal?.aborted) return undefined;
    await delay(options.pollInMs ?? 250, options.abortSignal);
  }
}

/** The tick's lease: EVERY_GROUP, then wait for running event reconciles to finish. Undefined if they did not in time. */
export async function acquireEveryGroup(store: LeaseStore, holder: string, ttlInMs: number, options: WaitOptions = {}): Promise<Lease | undefined> {
  const until = Date.now() + (options.waitInMs ?? 30_000);
  let lease: Lease | undefined;
  while (!(lease = await store.tryAcquire(EVERY_GROUP, holder, ttlInMs))) {
    if (Date.now() >= until || options.abortSignal?.aborted) return undefined;
    await delay(options.pollInMs ?? 250, options.abortSignal);
  }
  while ((await store.heldGroups()).length > 0) {
    if (Date.now() >= until || options.abortSignal?.aborted) {
      await store.release(lease);
      return undefined;
    }
    await delay(options.pollInMs ?? 250, options.abortSignal);
  }
  return lease;
}

/** Leases within one process: what is left when no state storage is configured (one instance only). */
export class MemoryLeaseStore implements LeaseStore {
  readonly #leases = new Map<string, { holder: string; etag: string; expiresAt: number }>();
  #version = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async tryAcquire(key: string, holder: string, ttlInMs: number): Promise<Lease | undefined> {
    const current = this.#leases.get(key);
    if (current && current.expiresAt > this.now()) return undefined;
    const etag = String(++this.#version);
    this.#leases.set(key, { holder, etag, expiresAt: this.now() + ttlInMs });
    return { key, holder, etag };
  }

  async release(lease: Lease): Promise<void> {
    if (this.#leases.get(lease.key)?.etag === lease.etag) this.#leases.delete(lease.key);
  }

  async isHeld(key: string): Promise<boolean> {
    const current = this.#leases.get(key);
    return current !== undefined && current.expiresAt > this.now();
  }

  async heldGroups(): Promise<string[]> {
    return [...this.#leases].filter(([key, lease]) => key !== EVERY_GROUP && lease.expiresAt > this.now()).map(([key]) => key);
  }
}
