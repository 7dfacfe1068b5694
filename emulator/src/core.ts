/** The emulator's shared state and services, independent of HTTP. */
import { ActivityLog } from './activityLog';
import { EventGridPublisher } from './eventGrid';
import { systemClock, type Clock } from './clock';
import { Faults } from './faults';
import { stableGuid } from './ids';
import { LroManager } from './lro';
import { Rbac } from './rbac';
import { DEFAULT_QUOTA, UserQuota } from './resourceGraph/quota';
import { Store } from './state';
import { Throttle } from './throttle';
import { EMPTY_TOPOLOGY, topologyToRecords, type Topology } from './topology';
import type { EmulatorOptions, Identity, RecordedExchange, ResourceGraphOptions } from './types';
import { renderSnapshot } from './wire';
import type { EmulatorStateSnapshot } from './types';

export interface Principal {
  caller: string;
  objectId: string;
  principalType: 'User' | 'ServicePrincipal';
}

export class EmulatorCore {
  readonly store: Store;
  readonly lros: LroManager;
  readonly throttle: Throttle;
  readonly faults = new Faults();
  readonly rbac: Rbac;
  readonly activity: ActivityLog;
  readonly eventGrid = new EventGridPublisher();
  readonly clock: Clock;
  readonly identities: Record<string, Identity>;
  readonly retryAfter: number;
  readonly listPageSize: number;
  /** Resource Graph: how far its rows lag ARM, the per-user quota, and whether it refuses every query. */
  readonly resourceGraph: { lagInMs: number; quota: UserQuota; refuse?: 403 | 400 };
  requests: RecordedExchange[] = [];
  /** https://127.0.0.1:PORT once listening */
  baseUrl = 'https://127.0.0.1';

  constructor(options: EmulatorOptions = {}) {
    this.store = new Store(options.historyLimit ?? 10000);
    this.clock = options.clock ?? systemClock;
    this.lros = new LroManager(options.lroInProgressPolls ?? 1, options.lroMaxDurationMs ?? 10000, this.clock);
    this.throttle = new Throttle(options.throttle, this.clock);
    this.activity = new ActivityLog(this.clock, options.activityLogIngestionDelayInMs ?? 0);
    this.rbac = new Rbac(options.rbac?.allowedActions ?? null);
    this.identities = { ...(options.identities ?? {}) };
    this.retryAfter = options.retryAfterSeconds ?? 1;
    this.listPageSize = options.listPageSize ?? 100;
    this.activity.onRecorded = (event) => this.eventGrid.publish(event);
    this.resourceGraph = { lagInMs: 0, quota: new UserQuota(DEFAULT_QUOTA) };
    this.configureResourceGraph(options.resourceGraph ?? {});
    this.seed(options.topology ?? EMPTY_TOPOLOGY);
  }

  seed(topology: Topology): void {
    const { subscriptionId, resourceGroups, recs } = topologyToRecords(topology);
    this.lros.clear();
    this.store.reset(subscriptionId, resourceGroups, recs);
  }

  configureResourceGraph(options: ResourceGraphOptions): void {
    if (options.lagInMs !== undefined) this.resourceGraph.lagInMs = options.lagInMs;
    if (options.quota !== undefined) this.resourceGraph.quota = new UserQuota(options.quota);
    if (options.refuse !== undefined) this.resourceGraph.refuse = options.refuse || undefined;
  }

  principalFor(token: string): Principal {
    const known = this.identities[token];
    if (known) return { caller: known.caller, principalType: known.principalType ?? 'ServicePrincipal', objectId: stableGuid(`oid:${known.caller}`) };
    const fromJwt = callerFromJwt(token);
    if (fromJwt) return { ...fromJwt, objectId: fromJwt.objectId ?? stableGuid(`oid:${fromJwt.caller}`) } as Principal;
    return { caller: 'unknown', principalType: 'ServicePrincipal', objectId: stableGuid('oid:unknown') };
  }

  actor(name: string): Principal {
    return { caller: name, principalType: 'User', objectId: stableGuid(`oid:${name}`) };
  }

  state(): EmulatorStateSnapshot {
    const last = this.store.latest();
    return renderSnapshot(this.store.current(), {
      seq: last.seq,
      time: new Date().toISOString(),
      cause: last.cause,
      subscriptionId: this.store.subscriptionId,
    });
  }

  history(): EmulatorStateSnapshot[] {
    return this.store
      .history()
      .map((h) => renderSnapshot(h.resources, { seq: h.seq, time: h.time, cause: h.cause, subscriptionId: this.store.subscriptionId }));
  }
}

/** Tokens that look like JWTs name their caller (upn / unique_name / appid), as ARM's Activity Log does. */
function callerFromJwt(token: string): { caller: string; principalType: 'User' | 'ServicePrincipal'; objectId?: string } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    const user = payload.upn ?? payload.unique_name ?? payload.preferred_username;
    if (typeof user === 'string') return { caller: user, principalType: 'User', objectId: payload.oid };
    if (typeof payload.appid === 'string' || typeof payload.azp === 'string')
      return { caller: payload.appid ?? payload.azp, principalType: 'ServicePrincipal', objectId: payload.oid };
  } catch {
    return undefined;
  }
  return undefined;
}
