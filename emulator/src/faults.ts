/** Faults on demand: matched by method and path pattern, consumed on match. */
import type { FaultSpec } from './types';

interface ActiveFault {
  spec: FaultSpec;
  regex: RegExp;
  remaining: number;
}

export class Faults {
  private list: ActiveFault[] = [];

  add(spec: FaultSpec): void {
    const kinds = ['latency', 'status', 'reset', 'anotherOperationInProgress', 'throttle', 'lroFailed'];
    if (!spec || !kinds.includes(spec.kind)) throw new Error(`fault kind must be one of ${kinds.join(', ')}`);
    if (typeof spec.pathPattern !== 'string') throw new Error('fault pathPattern (a regex string) is required');
    this.list.push({ spec: { ...spec }, regex: new RegExp(spec.pathPattern, 'i'), remaining: spec.times ?? 1 });
  }

  clear(): void {
    this.list = [];
  }

  pending(): FaultSpec[] {
    return this.list.map((f) => ({ ...f.spec, times: f.remaining }));
  }

  /**
   * The first fault matching the request, consumed. `lroFailed` only matches requests that start a
   * long-running operation (it is left in place for the others).
   */
  take(method: string, path: string, startsLro: boolean): FaultSpec | undefined {
    for (const f of this.list) {
      if (f.remaining <= 0) continue;
      if (f.spec.method && f.spec.method.toUpperCase() !== method.toUpperCase()) continue;
      if (!f.regex.test(path)) continue;
      if (f.spec.kind === 'lroFailed' && !startsLro) continue;
      f.remaining -= 1;
      this.list = this.list.filter((x) => x.remaining > 0);
      return f.spec;
    }
    return undefined;
  }
}
