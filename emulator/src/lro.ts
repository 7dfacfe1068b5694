/**
 * Long-running operations (Azure-AsyncOperation pattern of Microsoft.Network): the status URL answers
 * InProgress for a configured number of polls, then the operation ends (Succeeded, or Failed when an
 * lroFailed fault was matched) and its completion callback updates the state. Like the real
 * service, an operation nobody polls still ends: once `maxDurationMs` has passed it is finished the
 * next time anything looks at it.
 */
import type { Clock } from './clock';
import { key, uuid } from './ids';

export type LroStatus = 'InProgress' | 'Succeeded' | 'Failed';

export interface Lro {
  id: string;
  location: string;
  /** lower-case id of the resource that is locked while the operation runs (the virtual network) */
  lockKey: string;
  status: LroStatus;
  pollsLeft: number;
  startedAt: number;
  fail: boolean;
  error?: { code: string; message: string };
  onComplete: (lro: Lro) => void;
}

export class LroManager {
  private ops = new Map<string, Lro>();
  /** operations still InProgress */
  private active = new Set<Lro>();

  constructor(
    private inProgressPolls: number,
    private maxDurationMs: number,
    private readonly clock: Clock,
  ) {}

  clear(): void {
    this.ops.clear();
    this.active.clear();
  }

  /** finish every operation past its maximum duration (called on each request) */
  sweep(): void {
    for (const op of [...this.active]) if (this.overdue(op)) this.finish(op);
  }

  start(o: { location: string; lockId: string; fail: boolean; onComplete: (lro: Lro) => void }): Lro {
    const lro: Lro = {
      id: uuid(),
      location: o.location,
      lockKey: key(o.lockId),
      status: 'InProgress',
      pollsLeft: Math.max(0, this.inProgressPolls),
      startedAt: this.clock.now(),
      fail: o.fail,
      onComplete: o.onComplete,
    };
    this.ops.set(lro.id.toLowerCase(), lro);
    this.active.add(lro);
    return lro;
  }

  /** the operation in progress that locks this resource, if any */
  inFlight(lockId: string): Lro | undefined {
    const k = key(lockId);
    for (const op of [...this.active]) {
      if (op.lockKey !== k) continue;
      if (this.overdue(op)) this.finish(op);
      else return op;
    }
    return undefined;
  }

  get(id: string): Lro | undefined {
    return this.ops.get(id.toLowerCase());
  }

  private overdue(op: Lro): boolean {
    return this.clock.now() - op.startedAt >= this.maxDurationMs;
  }

  /** one status poll: answers InProgress while polls are left, then ends the operation */
  poll(id: string): Lro | undefined {
    const op = this.get(id);
    if (!op || op.status !== 'InProgress') return op;
    if (op.pollsLeft > 0 && !this.overdue(op)) {
      op.pollsLeft -= 1;
      return op;
    }
    this.finish(op);
    return op;
  }

  /** end the operation now (used for out-of-band requests, which wait for completion) */
  finish(op: Lro): void {
    if (op.status !== 'InProgress') return;
    this.active.delete(op);
    op.status = op.fail ? 'Failed' : 'Succeeded';
    if (op.fail) op.error = { code: 'InternalServerError', message: 'An error occurred. (injected lroFailed fault)' };
    op.onComplete(op);
  }
}
