/**
 * A port that records every call and answers from a script: the one fake of the Azure port,
 * for apply's ordering, retry and isolation rules. End-to-end tests use the emulator instead.
 */
import { ArmError, classifyRetry } from '../../src/reconciler/armError';
import type { AzurePort } from '../../src/reconciler/port';

export interface RecordedCall {
  method: keyof AzurePort;
  target: string;
  startedAt: number;
  finishedAt?: number;
}

export type Script = (method: keyof AzurePort, target: string, attempt: number) => ArmError | undefined;

export const armError = (code: string, statusCode: number) => new ArmError(`${code} from the fake`, code, statusCode, classifyRetry(code, statusCode));

export class RecordingPort implements AzurePort {
  readonly calls: RecordedCall[] = [];
  readonly #attempts = new Map<string, number>();
  #clock = 0;
  constructor(
    private readonly script: Script = () => undefined,
    private readonly latencyInMs = 5,
  ) {}

  /** How many calls were in flight at once, at most, among those matching `filter`. */
  maxOverlap(filter: (call: RecordedCall) => boolean): number {
    const relevant = this.calls.filter(filter);
    return Math.max(0, ...relevant.map((call) => relevant.filter((other) => other.startedAt <= call.startedAt && (other.finishedAt ?? Infinity) > call.startedAt).length));
  }

  async #write(method: keyof AzurePort, target: string): Promise<void> {
    const key = `${method} ${target}`;
    const attempt = (this.#attempts.get(key) ?? 0) + 1;
    this.#attempts.set(key, attempt);
    const call: RecordedCall = { method, target, startedAt: this.#clock++ };
    this.calls.push(call);
    await new Promise((resolve) => setTimeout(resolve, this.latencyInMs));
    call.finishedAt = this.#clock++;
    const failure = this.script(method, target, attempt);
    if (failure) throw failure;
  }

  getVirtualNetwork(): never {
    throw new Error('reads are not scripted');
  }
  getSite(): never {
    throw new Error('reads are not scripted');
  }
  getSiteConfig(): never {
    throw new Error('reads are not scripted');
  }
  getPlan(): never {
    throw new Error('reads are not scripted');
  }
  listSlots(): never {
    throw new Error('reads are not scripted');
  }
  listSites(): never {
    throw new Error('reads are not scripted');
  }
  listVirtualNetworks(): never {
    throw new Error('reads are not scripted');
  }
  listActivity(): never {
    throw new Error('reads are not scripted');
  }
  putSubnet(subnetId: string) {
    return this.#write('putSubnet', subnetId);
  }
  connectSiteToSubnet(siteId: string) {
    return this.#write('connectSiteToSubnet', siteId);
  }
  updateSiteConfig(siteId: string) {
    return this.#write('updateSiteConfig', siteId);
  }
}
