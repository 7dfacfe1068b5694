/**
 * Who made the change: the latest successful write to the resource in the Activity Log,
 * between the last time the resource was seen matching the policy and the observation
 * that found the drift, leaving out Lockdown's own identity.
 *
 * Limits, stated in the result rather than hidden: the Activity Log keeps 90 days, and an
 * event takes minutes to appear (usually under 15), so a recent change may be "not yet
 * ingested": the alert then waits for a later tick (see `actorWaitInMs`).
 */
import type { DriftAspect } from '../plan';
import type { ActivityRecord, AzurePort, PortCallOptions } from '../port';
import { canonicalId, parseResourceId, virtualNetworkOf } from '../resourceId';
import type { Actor, ActorFound } from './types';

export const ACTIVITY_LOG_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;
/** ARM refuses a start past the retention (400); the query reaches it a little after `now`, so stay clear. */
export const RETENTION_MARGIN_MS = 60 * 60 * 1000;
export const DEFAULT_FALLBACK_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface ActorLookupRequest {
  resourceId: string;
  aspect: DriftAspect;
  /** Last time the resource was seen matching the policy (store), if ever. */
  lastInSyncAt?: string;
  /** The observation that found the drift: the change happened before it. */
  detectedAt: string;
  /** When the drift was first detected (pending alerts retry with the first detection). */
  firstDetectedAt?: string;
}

export interface ActorLookupOptions extends PortCallOptions {
  now: string;
  /** Callers (UPN, object or app id) that are Lockdown itself; their writes are not suspects. */
  ownCallers?: string[];
  /** Window searched when the store never saw the resource in sync; default 24 h. */
  fallbackWindowInMs?: number;
  /** How long after the first detection an empty answer still means "not yet ingested"; default 15 min. */
  ingestionGraceInMs?: number;
}

/**
 * Operations that can change each aspect, most specific tier first: a site PUT can carry
 * siteConfig too, but a config write says more about who changed an access rule. A deployment
 * slot's operations carry /slots (Microsoft.Web/sites/slots/config/write); creating a slot is a
 * sites/slots/write, the last tier for what a new slot brings.
 */
const SITE_WRITE = /^microsoft\.web\/sites(\/slots)?\/write$/i;
const SITE_CONFIG = [/^microsoft\.web\/sites(\/slots)?\/config\/write$/i, SITE_WRITE];
const SUBNET = [/^microsoft\.network\/virtualnetworks\/subnets\/write$/i, /^microsoft\.network\/virtualnetworks\/write$/i];
const OPERATIONS: Record<DriftAspect, RegExp[]> = {
  serviceEndpoint: SUBNET,
  delegation: SUBNET,
  vnetIntegration: [/^microsoft\.web\/sites(\/slots)?\/(networkconfig|virtualnetworkconnections)(\/.*)?\/(write|delete)$/i, SITE_WRITE],
  accessRule: SITE_CONFIG,
  defaultAction: SITE_CONFIG,
  scm: SITE_CONFIG,
  publicAccess: [SITE_WRITE],
};

const isWrite = (operation: string | undefined) => /\/(write|delete|action)$/i.test(operation ?? '');
const succeeded = (status: string | undefined) => /^succeeded$/i.test(status ?? '');

/** Where to ask: the resource, and for a subnet its virtual network too (a PUT of the whole VNet changes it). */
export function activityScopes(resourceId: string): string[] {
  const parsed = parseResourceId(resourceId);
  if (parsed && parsed.types.length === 2 && parsed.types[1].toLowerCase() === 'subnets') return [canonicalId(resourceId), virtualNetworkOf(resourceId)];
  return [canonicalId(resourceId)];
}

/** The write was to the resource, one of its children (sites/x/config/web) but not a slot of it (a door of its own), or a parent scope asked about. */
function concerns(record: ActivityRecord, resourceId: string, scopes: string[]): boolean {
  const id = canonicalId(record.resourceId ?? '');
  const target = canonicalId(resourceId);
  return id === target || (id.startsWith(`${target}/`) && !id.startsWith(`${target}/slots/`)) || scopes.includes(id);
}

/** Pure: pick the actor from the records, or say why there is none. */
export function pickActor(records: ActivityRecord[], request: ActorLookupRequest, options: { ownCallers?: string[] } = {}): ActorFound | undefined {
  const own = new Set((options.ownCallers ?? []).map((caller) => caller.toLowerCase()));
  const scopes = activityScopes(request.resourceId);
  const writes = records
    .filter((record) => succeeded(record.status) && isWrite(record.operationName))
    .filter((record) => concerns(record, request.resourceId, scopes))
    .filter((record) => !own.has((record.caller ?? '').toLowerCase()))
    .sort((a, b) => Date.parse(b.eventTimestamp) - Date.parse(a.eventTimestamp));
  const tiers = OPERATIONS[request.aspect].map((operation) => writes.find((record) => operation.test(record.operationName ?? '')));
  const chosen = tiers.find((record) => record !== undefined) ?? writes[0];
  if (!chosen) return undefined;
  return { caller: chosen.caller ?? '(unknown caller)', time: chosen.eventTimestamp, operation: chosen.operationName ?? '', ...(chosen.correlationId ? { correlationId: chosen.correlationId } : {}) };
}

export interface ActivityWindow {
  from: string;
  to: string;
  /** The start was cut: no in-sync observation known, or it is older than the log keeps. */
  truncated: 'none' | 'noInSyncObservation' | 'retention';
}

/**
 * From the last in-sync observation to the detection. The start never comes after the end:
 * an in-sync time at or after the detection (the store moved on after a repair, or a newer
 * run saw it in sync) says nothing about before the drift, so the fallback window is used.
 */
export function activityWindow(request: ActorLookupRequest, options: Pick<ActorLookupOptions, 'now' | 'fallbackWindowInMs'>): ActivityWindow {
  const to = Date.parse(request.detectedAt);
  // The log keeps 90 days; a detection older than that still gets a (degenerate) window.
  const oldest = Math.min(Date.parse(options.now) - ACTIVITY_LOG_RETENTION_MS + RETENTION_MARGIN_MS, to);
  const since = request.lastInSyncAt === undefined ? Number.NaN : Date.parse(request.lastInSyncAt);
  const iso = (ms: number) => new Date(ms).toISOString();
  if (!(since < to)) {
    const from = Math.max(oldest, to - (options.fallbackWindowInMs ?? DEFAULT_FALLBACK_WINDOW_MS));
    return { from: iso(from), to: request.detectedAt, truncated: 'noInSyncObservation' };
  }
  if (since < oldest) return { from: iso(oldest), to: request.detectedAt, truncated: 'retention' };
  return { from: request.lastInSyncAt!, to: request.detectedAt, truncated: 'none' };
}

/** Pure: what an empty answer means. */
export function explainNoActor(window: ActivityWindow, request: ActorLookupRequest, options: Pick<ActorLookupOptions, 'now' | 'ingestionGraceInMs'>): Actor {
  const between = `between ${window.from} and ${window.to}`;
  const waitedInMs = Date.parse(options.now) - Date.parse(request.firstDetectedAt ?? request.detectedAt);
  const grace = options.ingestionGraceInMs ?? 15 * 60 * 1000;
  if (waitedInMs < grace) {
    return { unknown: true, why: 'notYetIngested', detail: `no write to the resource in the Activity Log ${between} yet; events take minutes to appear, looking again next tick` };
  }
  if (window.truncated === 'retention') {
    return { unknown: true, why: 'outsideLogWindow', detail: `last seen in sync at ${request.lastInSyncAt}, before the Activity Log's 90 days; nothing found ${between}` };
  }
  if (window.truncated === 'noInSyncObservation') {
    return { unknown: true, why: 'outsideLogWindow', detail: `not seen in sync before the drift was found, so the change may be older than the window searched; nothing found ${between}` };
  }
  return {
    unknown: true,
    why: 'notYetIngested',
    detail: `no write to the resource in the Activity Log ${between}, ${Math.round(waitedInMs / 60000)} min after detection; it may still be ingesting, or the change came through a path the log does not record`,
  };
}

/** Looks the actor up in the Activity Log; one query per (scope, window), cached for the pass. */
export class ActorLookup {
  readonly #cache = new Map<string, Promise<ActivityRecord[]>>();
  constructor(
    private readonly port: Pick<AzurePort, 'listActivity'>,
    private readonly options: ActorLookupOptions,
  ) {}

  async lookup(request: ActorLookupRequest): Promise<Actor> {
    const window = activityWindow(request, this.options);
    const queries = activityScopes(request.resourceId).map((scope) => {
      const cacheKey = `${scope}|${window.from}|${window.to}`;
      let records = this.#cache.get(cacheKey);
      if (!records) {
        records = this.port.listActivity(scope, window.from, window.to, { abortSignal: this.options.abortSignal });
        records.catch(() => undefined); // awaited below; keeps a failure from being unhandled meanwhile
        this.#cache.set(cacheKey, records);
      }
      return records;
    });
    try {
      const records = (await Promise.all(queries)).flat();
      const found = pickActor(records, request, { ownCallers: this.options.ownCallers });
      return found ?? explainNoActor(window, request, this.options);
    } catch (error) {
      const armError = error as { code?: string; message?: string; statusCode?: number };
      return { unknown: true, why: 'lookupFailed', detail: `Activity Log query failed: ${armError.code ?? 'Error'}${armError.statusCode ? ` (${armError.statusCode})` : ''}: ${armError.message ?? String(error)}` };
    }
  }
}
