/** Public types of the ARM emulator. */
import type { EventSubscriptionSpec, ResourceEvent } from './eventGrid';
import type { Clock } from './clock';
import type { Topology } from './topology';

export type { Clock } from './clock';

export type { Topology } from './topology';
export type { EventSubscriptionSpec, ResourceEvent } from './eventGrid';

export interface RateLimit {
  /** bucket size (requests allowed in a burst) */
  burst: number;
  /** refill rate, tokens per second (fractions allowed) */
  perSecond: number;
}

export type ThrottleOptions = { reads?: RateLimit; writes?: RateLimit } | false;

export interface Identity {
  caller: string;
  principalType?: 'User' | 'ServicePrincipal';
}

export interface ResourceGraphOptions {
  /** Rows show the state recorded this long ago (Resource Graph lags ARM); default 0. */
  lagInMs?: number;
  /** Queries per window per caller; false: unlimited. */
  quota?: { queries: number; windowInMs: number } | false;
  /** Refuse every query: 403 (not allowed) or 400 (not understood); false: answer again. */
  refuse?: 403 | 400 | false;
}

export interface EmulatorOptions {
  /** TCP port, default 0 (a free port). */
  port?: number;
  /** Address to listen on, default 127.0.0.1. */
  host?: string;
  /** Seed; default: an empty subscription 11111111-1111-1111-1111-111111111111. */
  topology?: Topology;
  /** When set, only these ARM actions are allowed ('*' matches any characters); anything else gets 403. */
  rbac?: { allowedActions: string[] };
  /** Per-subscription token buckets; default reads 250/25 per s, writes 200/10 per s; false disables. */
  throttle?: ThrottleOptions;
  /** Retry-After sent on LRO 200/201 responses, LRO polls, 429s and 503s; default 1. Tests pass 0. */
  retryAfterSeconds?: number;
  /** bearer token -> who (Activity Log caller); unknown tokens are accepted as caller "unknown". */
  identities?: Record<string, Identity>;
  /** How many status polls of a long-running operation answer InProgress before it ends; default 1. */
  lroInProgressPolls?: number;
  /** A long-running operation nobody polls ends by itself this long after it started; default 10000. */
  lroMaxDurationMs?: number;
  /** Items per page of a list operation (sites, virtual networks); the rest follows through nextLink. Default 100. */
  listPageSize?: number;
  /** Resource Graph (POST /providers/Microsoft.ResourceGraph/resources); default: no lag, 15 queries per 5 s per caller. */
  resourceGraph?: ResourceGraphOptions;
  /** Keep at most this many history snapshots (oldest dropped); default 10000. */
  historyLimit?: number;
  /** Time source of throttling, long-running operation durations and the Activity Log; default the system clock. Tests pass a ManualClock or an AdvancingClock. */
  clock?: Clock;
  /**
   * How long after a write its Activity Log events become visible to queries (Azure: minutes);
   * default 0. Measured on `clock`.
   */
  activityLogIngestionDelayInMs?: number;
}

export interface RunningEmulator {
  /** https://127.0.0.1:PORT (the ARM endpoint to give the SDK clients) */
  url: string;
  /** https://127.0.0.1:PORT/_admin */
  adminUrl: string;
  admin: EmulatorAdmin;
  /** absolute path of the test CA certificate (what NODE_EXTRA_CA_CERTS must point at) */
  caCertPath: string;
  stop(): Promise<void>;
}

export interface OutOfBandRequest {
  method: string;
  /** ARM path, e.g. /subscriptions/.../sites/x/config/web; api-version is added when missing */
  path: string;
  body?: unknown;
}

export interface EmulatorAdmin {
  /** Replaces all state (resources, in-flight operations, history restarts with the seed). */
  seed(topology: Topology): void;
  /** An ARM request made as a named actor (a "portal" edit): same validation, recorded in the request log and Activity Log. */
  outOfBand(actor: string, request: OutOfBandRequest): Promise<{ status: number; body: unknown }>;
  /** Deep copy of every resource in wire format (the body a GET returns). */
  state(): EmulatorStateSnapshot;
  /** A snapshot after the seed and after every successful write / long-running operation end, in order. */
  history(): EmulatorStateSnapshot[];
  requests(): RecordedExchange[];
  clearRequests(): void;
  addFault(fault: FaultSpec): void;
  clearFaults(): void;
  setRbac(allowedActions: string[] | null): void;
  setThrottle(throttle: ThrottleOptions | undefined): void;
  /** Resource Graph's lag, quota and refusal, changed while running. */
  setResourceGraph(options: ResourceGraphOptions): void;
  activityLog(): ActivityEvent[];
  /** Where the subscription's Event Grid system topic delivers (undefined: nowhere), with its fault options. */
  setEventSubscription(subscription: EventSubscriptionSpec | undefined): void;
  /** Every event emitted so far, delivered or not. */
  events(): ResourceEvent[];
  /** Resolves once every event emitted so far was delivered (or given up). */
  eventsSettled(): Promise<void>;
}

/**
 * A GET body in a state snapshot. Its readers (tests, checks) walk it like parsed JSON, field by
 * field, so it stays open here, the one loosely typed value the emulator hands out; the emulator
 * itself renders these bodies typed (wire.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GetBody = any;

export interface EmulatorStateSnapshot {
  /** 0 for the seed, then +1 per state change */
  seq: number;
  time: string;
  /** what produced this state, e.g. "seed", "PUT /subscriptions/... by lockdown" or "LRO <id> Succeeded" */
  cause: string;
  subscriptionId: string;
  /** every map is keyed by the resource id as stored (original casing); values are GET bodies */
  serverFarms: Record<string, GetBody>;
  /** apps and their deployment slots (ids .../sites/{app}/slots/{slot}) */
  sites: Record<string, GetBody>;
  /** key: "<site or slot id>/config/web" */
  siteConfigs: Record<string, GetBody>;
  /** key: "<site id>/networkConfig/virtualNetwork"; only sites that are integrated */
  swiftConnections: Record<string, GetBody>;
  virtualNetworks: Record<string, GetBody>;
  subnets: Record<string, GetBody>;
}

export interface RecordedExchange {
  time: string;
  method: string;
  /** path + query as received */
  url: string;
  /** lower-case names; the bearer token is redacted */
  requestHeaders: Record<string, string>;
  requestBody?: unknown;
  /** 0 when the connection was reset by a fault */
  status: number;
  responseHeaders: Record<string, string>;
  responseBody?: unknown;
  caller: string;
  /** spec operationId when known, e.g. "WebApps_GetConfiguration" */
  operationId?: string;
  /** true for admin outOfBand() requests */
  outOfBand?: boolean;
}

export type FaultKind = 'latency' | 'status' | 'reset' | 'anotherOperationInProgress' | 'throttle' | 'lroFailed';

export interface FaultSpec {
  method?: string;
  /** regex, case-insensitive, tested against the path (without query) */
  pathPattern: string;
  /** how many matching requests it applies to, default 1 */
  times?: number;
  kind: FaultKind;
  latencyInMs?: number;
  /** for 'status': 500, 503 or 412 (a concurrent edit; default 500); for 'anotherOperationInProgress': 409 (default) or 429 */
  status?: number;
}

export interface LocalizableString {
  value: string;
  localizedValue: string;
}

/** EventData of activityLogs_API.json (2015-04-01). */
export interface ActivityEvent {
  authorization: { action: string; scope: string };
  caller: string;
  claims: Record<string, string>;
  correlationId: string;
  description: string;
  eventDataId: string;
  eventName: LocalizableString;
  category: LocalizableString;
  httpRequest: { clientRequestId: string; clientIpAddress: string; method: string };
  id: string;
  level: 'Critical' | 'Error' | 'Warning' | 'Informational' | 'Verbose';
  resourceGroupName: string;
  resourceProviderName: LocalizableString;
  resourceId: string;
  resourceType: LocalizableString;
  operationId: string;
  operationName: LocalizableString;
  properties: Record<string, string>;
  status: LocalizableString;
  subStatus: LocalizableString;
  eventTimestamp: string;
  submissionTimestamp: string;
  subscriptionId: string;
  tenantId: string;
}
