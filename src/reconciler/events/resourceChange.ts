/**
 * A resource-write event of the subscription's Event Grid system topic, read into what the
 * targeted reconcile needs: which managed resource changed, who changed it, and whether it
 * was Lockdown itself. Pure: no SDK, no clock.
 */
import type { ActorFound } from '../alerts/types';
import { canonicalId, parseResourceId } from '../resourceId';

export const RESOURCE_EVENT_TYPES = ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceDeleteSuccess'] as const;

/**
 * The resource types Lockdown manages, as the event subscription filters them (advanced
 * filter on data.operationName): sites and their config, slots (their config, VNet integration
 * and swaps) and VNet integration
 * (networkConfig, virtualNetworkConnections), virtual networks and subnets.
 */
export const MANAGED_OPERATIONS = [
  'Microsoft.Web/sites/write',
  'Microsoft.Web/sites/delete',
  'Microsoft.Web/sites/config/write',
  'Microsoft.Web/sites/slots/write',
  'Microsoft.Web/sites/slots/delete',
  'Microsoft.Web/sites/slots/config/write',
  'Microsoft.Web/sites/slots/networkConfig/write',
  'Microsoft.Web/sites/slots/networkConfig/delete',
  'Microsoft.Web/sites/slotsswap/action',
  'Microsoft.Web/sites/slots/slotsswap/action',
  'Microsoft.Web/sites/networkConfig/write',
  'Microsoft.Web/sites/networkConfig/delete',
  'Microsoft.Web/sites/virtualNetworkConnections/write',
  'Microsoft.Web/sites/virtualNetworkConnections/delete',
  'Microsoft.Network/virtualNetworks/write',
  'Microsoft.Network/virtualNetworks/delete',
  'Microsoft.Network/virtualNetworks/subnets/write',
  'Microsoft.Network/virtualNetworks/subnets/delete',
] as const;

/** The Event Grid schema fields read here (the Functions host hands them over as is). */
export interface ResourceEventInput {
  id?: string;
  eventType?: string;
  subject?: string;
  eventTime?: string;
  data?: {
    resourceUri?: string;
    operationName?: string;
    status?: string;
    correlationId?: string;
    claims?: Record<string, string>;
    authorization?: { action?: string; scope?: string; evidence?: Record<string, string> };
  };
}

/** What a targeted reconcile is asked to look at: a site, a subnet, or a whole virtual network. */
export type ManagedResource = { kind: 'site' | 'subnet' | 'virtualNetwork'; id: string };

export interface ResourceChange {
  eventId: string;
  eventType: string;
  /** The resource written, as the event names it (may be a child: sites/x/config/web). */
  resourceUri: string;
  resource: ManagedResource;
  actor: ActorFound;
  /** Every identity the event names for the writer (UPN, app id, object id), lower-cased. */
  principals: string[];
  correlationId?: string;
  eventTime: string;
}

export type ReadResult = { ok: true; change: ResourceChange } | { ok: false; why: 'notAResourceEvent' | 'notManaged'; detail: string };

const CLAIM = {
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
};

/** The site, subnet or virtual network a written id belongs to (slots, config and networkConfig count as their site). */
export function managedResourceOf(resourceUri: string): ManagedResource | undefined {
  const parsed = parseResourceId(resourceUri);
  if (!parsed) return undefined;
  const provider = parsed.provider.toLowerCase();
  const types = parsed.types.map((type) => type.toLowerCase());
  const base = `/subscriptions/${parsed.subscriptionId}/resourceGroups/${parsed.resourceGroup}/providers/${parsed.provider}`;
  if (provider === 'microsoft.web' && types[0] === 'sites') {
    return { kind: 'site', id: canonicalId(`${base}/sites/${parsed.names[0]}`) };
  }
  if (provider === 'microsoft.network' && types[0] === 'virtualnetworks') {
    if (types.length === 1) return { kind: 'virtualNetwork', id: canonicalId(`${base}/virtualNetworks/${parsed.names[0]}`) };
    if (types[1] === 'subnets') return { kind: 'subnet', id: canonicalId(`${base}/virtualNetworks/${parsed.names[0]}/subnets/${parsed.names[1]}`) };
  }
  return undefined;
}

/** Who the event says wrote: a person's UPN or name, else the application, else the object id. */
export function actorOf(input: ResourceEventInput): { caller: string; principals: string[] } {
  const claims = input.data?.claims ?? {};
  const evidence = input.data?.authorization?.evidence ?? {};
  const upn = claims[CLAIM.upn] ?? claims.upn;
  const name = claims.name ?? claims[CLAIM.name];
  const appId = claims.appid ?? claims.azp;
  const objectId = claims[CLAIM.objectId] ?? claims.oid ?? evidence.principalId;
  const caller = upn ?? name ?? appId ?? objectId ?? '(unknown caller)';
  const principals = [...new Set([upn, name, appId, objectId].filter((value): value is string => typeof value === 'string' && value !== '').map((value) => value.toLowerCase()))];
  return { caller, principals };
}

export function readResourceEvent(input: ResourceEventInput): ReadResult {
  const eventType = input?.eventType ?? '';
  if (!(RESOURCE_EVENT_TYPES as readonly string[]).includes(eventType)) {
    return { ok: false, why: 'notAResourceEvent', detail: `event type ${JSON.stringify(eventType)} is not one of ${RESOURCE_EVENT_TYPES.join(', ')}` };
  }
  const resourceUri = input.data?.resourceUri ?? input.subject ?? '';
  const resource = managedResourceOf(resourceUri);
  if (!resource) return { ok: false, why: 'notManaged', detail: `${resourceUri || '(no resource)'} is not a site, subnet or virtual network` };
  const { caller, principals } = actorOf(input);
  const eventTime = input.eventTime ?? new Date(0).toISOString();
  const operation = input.data?.operationName ?? input.data?.authorization?.action ?? eventType;
  const correlationId = input.data?.correlationId;
  return {
    ok: true,
    change: {
      eventId: input.id ?? '',
      eventType,
      resourceUri,
      resource,
      actor: { caller, time: eventTime, operation, ...(correlationId ? { correlationId } : {}) },
      principals,
      ...(correlationId ? { correlationId } : {}),
      eventTime,
    },
  };
}

export interface OwnIdentity {
  /** Lockdown's own identity: UPN, app (client) id or object (principal) id, any case. */
  callers: string[];
}

/** The write was Lockdown's own: reconciling it again would only find what it just wrote. */
export function isOwnWrite(change: ResourceChange, own: OwnIdentity): boolean {
  const callers = new Set(own.callers.map((caller) => caller.toLowerCase()));
  return change.principals.some((principal) => callers.has(principal));
}
