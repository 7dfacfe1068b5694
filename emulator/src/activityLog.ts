/** The subscription's Activity Log (Administrative category) and its $filter / $select query. */
import type { Clock } from './clock';
import { errors } from './errors';
import { parseResourceId, TENANT_ID, uuid } from './ids';
import type { ActivityEvent, LocalizableString } from './types';

export interface EventInput {
  caller: string;
  objectId: string;
  principalType: 'User' | 'ServicePrincipal';
  correlationId: string;
  operationId: string;
  action: string;
  resourceId: string;
  subscriptionId: string;
  status: 'Started' | 'Accepted' | 'Succeeded' | 'Failed';
  httpStatus?: number;
  method: string;
  clientRequestId: string;
  serviceRequestId: string;
  errorBody?: unknown;
}

const ls = (value: string, localizedValue = value): LocalizableString => ({ value, localizedValue });

const HTTP_STATUS: Record<number, [string, string]> = {
  200: ['OK', 'OK'],
  201: ['Created', 'Created'],
  202: ['Accepted', 'Accepted'],
  204: ['NoContent', 'No Content'],
  400: ['BadRequest', 'Bad Request'],
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  404: ['NotFound', 'Not Found'],
  405: ['MethodNotAllowed', 'Method Not Allowed'],
  409: ['Conflict', 'Conflict'],
  412: ['PreconditionFailed', 'Precondition Failed'],
  429: ['TooManyRequests', 'Too Many Requests'],
  500: ['InternalServerError', 'Internal Server Error'],
  503: ['ServiceUnavailable', 'Service Unavailable'],
};

const ticks = (ms: number) => (BigInt(ms) + 62135596800000n) * 10000n;

/** The Activity Log keeps 90 days (learn.microsoft.com/azure/azure-monitor/essentials/activity-log). */
export const RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

export class ActivityLog {
  private events: ActivityEvent[] = [];
  /** Told of every entry as it is recorded (the Event Grid system topic listens). */
  onRecorded?: (event: ActivityEvent) => void;

  constructor(
    private readonly clock: Clock,
    /** events become visible to queries this long after they happen (submissionTimestamp) */
    private readonly ingestionDelayInMs = 0,
  ) {}

  clear(): void {
    this.events = [];
  }

  all(): ActivityEvent[] {
    return structuredClone(this.events);
  }

  record(e: EventInput): ActivityEvent {
    const now = this.clock.now();
    const eventDataId = uuid();
    const parsed = parseResourceId(e.resourceId);
    const provider = parsed?.provider ?? 'Microsoft.Resources';
    const resourceType = parsed?.provider ? [parsed.provider, ...parsed.types].join('/') : 'Microsoft.Resources/subscriptions';
    const [statusCodeName, statusText] = e.httpStatus ? HTTP_STATUS[e.httpStatus] ?? [String(e.httpStatus), String(e.httpStatus)] : ['', ''];
    const claims: Record<string, string> =
      e.principalType === 'User'
        ? {
            'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': e.caller,
            'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name': e.caller,
            'http://schemas.microsoft.com/identity/claims/objectidentifier': e.objectId,
            'http://schemas.microsoft.com/identity/claims/tenantid': TENANT_ID,
            idtyp: 'user',
          }
        : {
            appid: e.objectId,
            'http://schemas.microsoft.com/identity/claims/objectidentifier': e.objectId,
            'http://schemas.microsoft.com/identity/claims/tenantid': TENANT_ID,
            idtyp: 'app',
          };
    const properties: Record<string, string> = {
      eventCategory: 'Administrative',
      entity: e.resourceId,
      message: e.action,
      hierarchy: `${TENANT_ID}/${e.subscriptionId}`,
      serviceRequestId: e.serviceRequestId,
    };
    if (statusCodeName) properties.statusCode = statusCodeName;
    if (e.errorBody !== undefined) properties.statusMessage = JSON.stringify(e.errorBody);
    const event: ActivityEvent = {
      authorization: { action: e.action, scope: e.resourceId },
      caller: e.caller,
      claims,
      correlationId: e.correlationId,
      description: '',
      eventDataId,
      eventName: e.status === 'Started' ? ls('BeginRequest', 'Begin request') : ls('EndRequest', 'End request'),
      category: ls('Administrative'),
      httpRequest: { clientRequestId: e.clientRequestId, clientIpAddress: '127.0.0.1', method: e.method.toUpperCase() },
      id: `${e.resourceId}/events/${eventDataId}/ticks/${ticks(now)}`,
      level: e.status === 'Failed' ? 'Error' : 'Informational',
      resourceGroupName: parsed?.resourceGroup ?? '',
      resourceProviderName: ls(provider),
      resourceId: e.resourceId,
      resourceType: ls(resourceType),
      operationId: e.operationId,
      operationName: ls(e.action),
      properties,
      status: ls(e.status),
      subStatus: statusCodeName ? ls(statusCodeName, `${statusText} (HTTP Status Code: ${e.httpStatus})`) : ls('', ''),
      eventTimestamp: new Date(now).toISOString(),
      submissionTimestamp: new Date(now + this.ingestionDelayInMs).toISOString(),
      subscriptionId: e.subscriptionId,
      tenantId: TENANT_ID,
    };
    this.events.push(event);
    this.onRecorded?.(event);
    return event;
  }

  /** GET .../eventtypes/management/values?$filter=...&$select=... (newest first) */
  query(filter: string | null, select: string | null): { value: unknown[] } {
    if (!filter || !filter.trim())
      throw errors.insightsBadRequest(
        "The $filter query parameter is required. It must at least contain the start time, for example: $filter=eventTimestamp ge '2014-07-16T04:36:37.6407898Z' and eventTimestamp le '2014-07-20T04:36:37.6407898Z'.",
      );
    const clauses = filter.trim().split(/\s+and\s+/i);
    const preds: ((e: ActivityEvent) => boolean)[] = [];
    let hasStart = false;
    const now = this.clock.now();
    for (const clause of clauses) {
      const m = /^\(?\s*(\w+)\s+(eq|ge|le|gt|lt)\s+'([^']*)'\s*\)?$/i.exec(clause.trim());
      if (!m) throw errors.insightsBadRequest(`The $filter '${filter}' is invalid: cannot parse '${clause}'.`);
      const [, rawField, rawOp, value] = m;
      const field = rawField.toLowerCase();
      const op = rawOp.toLowerCase();
      const lc = value.toLowerCase();
      if (field === 'eventtimestamp') {
        const t = Date.parse(value);
        if (Number.isNaN(t)) throw errors.insightsBadRequest(`The $filter '${filter}' is invalid: '${value}' is not a valid date-time.`);
        if (op === 'eq') throw errors.insightsBadRequest(`The $filter '${filter}' is invalid: eventTimestamp supports only ge and le.`);
        if (op === 'ge' || op === 'gt') hasStart = true;
        // a start beyond the retention is refused, not clipped (Azure/azure-cli#4885: "Bad Request" past 90 days)
        if ((op === 'ge' || op === 'gt') && t < now - RETENTION_MS)
          throw errors.insightsBadRequest(
            `The $filter '${filter}' is invalid: the start time '${value}' is more than 90 days in the past; the Activity Log keeps events for 90 days.`,
          );
        preds.push((e) => {
          const et = Date.parse(e.eventTimestamp);
          return op === 'ge' ? et >= t : op === 'gt' ? et > t : op === 'le' ? et <= t : et < t;
        });
        continue;
      }
      if (op !== 'eq') throw errors.insightsBadRequest(`The $filter '${filter}' is invalid: only 'eq' is supported for '${rawField}'.`);
      switch (field) {
        case 'resourceuri':
        case 'resourceid':
          // events of the resource and of its child resources (sites/x covers sites/x/config/web)
          preds.push((e) => e.resourceId.toLowerCase() === lc || e.resourceId.toLowerCase().startsWith(`${lc.replace(/\/+$/, '')}/`));
          break;
        case 'resourcegroupname':
          preds.push((e) => e.resourceGroupName.toLowerCase() === lc);
          break;
        case 'correlationid':
          preds.push((e) => e.correlationId.toLowerCase() === lc);
          break;
        case 'resourceprovider':
          preds.push((e) => e.resourceProviderName.value.toLowerCase() === lc);
          break;
        case 'caller':
          preds.push((e) => e.caller.toLowerCase() === lc);
          break;
        case 'status':
          preds.push((e) => e.status.value.toLowerCase() === lc);
          break;
        case 'levels': {
          const levels = lc.split(',').map((s) => s.trim());
          preds.push((e) => levels.includes(e.level.toLowerCase()));
          break;
        }
        case 'eventchannels':
          break; // every emulated event is on the Operation channel
        default:
          throw errors.insightsBadRequest(`The $filter '${filter}' is invalid: the property '${rawField}' is not supported.`);
      }
    }
    if (!hasStart)
      throw errors.insightsBadRequest(
        `The $filter '${filter}' is invalid: it must contain the start time (eventTimestamp ge '<ISO 8601 date-time>').`,
      );
    // not yet ingested, or past the retention: not in any answer
    const visible = (e: ActivityEvent) => Date.parse(e.submissionTimestamp) <= now && Date.parse(e.eventTimestamp) >= now - RETENTION_MS;
    const value = structuredClone(this.events.filter((e) => visible(e) && preds.every((p) => p(e))).reverse());
    if (!select || !select.trim()) return { value };
    const wanted = select.split(',').map((s) => s.trim()).filter(Boolean);
    return { value: value.map((event) => selectFields(event, wanted)) };
  }
}

/** $select: the named fields of an event (names case-insensitive, answered in the event's casing) */
function selectFields(event: ActivityEvent, wanted: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of wanted) {
    const field = (Object.keys(event) as (keyof ActivityEvent)[]).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (field) out[field] = event[field];
  }
  return out;
}
