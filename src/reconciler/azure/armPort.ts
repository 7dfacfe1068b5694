/**
 * The ARM implementation of the port: the only module that calls the Azure SDKs.
 * Converts SDK models to Lockdown's observed shapes and every SDK error to a classified ArmError.
 */
import type { IpSecurityRestriction, Site, SiteConfigResource, WebSiteManagementClient } from '@azure/arm-appservice';
import type { MonitorClient } from '@azure/arm-monitor';
import type { NetworkManagementClient, Subnet, VirtualNetwork } from '@azure/arm-network';
import type { OperationOptions } from '@azure/core-client';
import type { HttpClient, PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline';
import { isImplicitRule, sameRules } from '../accessRules';
import { ArmError, toArmError } from '../armError';
import type { AccessRule, ObservedPlan, ObservedSite, ObservedSiteConfig, ObservedSubnet, ObservedVirtualNetwork } from '../observed';
import type { ActivityRecord, AzurePort, ListScope, PortCallOptions, PutSubnetOptions, SiteConfigPatch, UpdateSiteConfigOptions } from '../port';
import { canonicalId, parseResourceId, serverFarmParts, siteOrSlotParts, siteParts, subnetParts } from '../resourceId';
import type { ArmConnection } from './connection';
import { appServiceSdk, monitorSdk, networkSdk, restPipelineSdk } from './sdk';

/** The Microsoft.Web api-version of the pinned SDK (@azure/arm-appservice). */
const WEB_API_VERSION = '2025-05-01';

export interface ArmPortOptions {
  /** Long-running operation polling interval; ARM's Retry-After wins when larger. */
  pollIntervalInMs?: number;
  /**
   * The SDK pipeline's own retries of transient HTTP failures (5xx, resets, 429 with
   * Retry-After); apply retries ARM-level conflicts such as AnotherOperationInProgress on top.
   */
  retryOptions?: { maxRetries?: number; retryDelayInMs?: number; maxRetryDelayInMs?: number };
}

/**
 * The SDK's per-call options: the abort signal, and headers (the correlation id a write shares
 * with the reads that guard it; If-Match). The classic clients (Microsoft.Network, Monitor) take
 * headers as `requestOptions.customHeaders`, the modular Microsoft.Web client as
 * `requestOptions.headers`: both are given, each client reads its own.
 */
function sdkCall(options: PortCallOptions, headers: Record<string, string> = {}): OperationOptions & { requestOptions?: { headers?: Record<string, string> } } {
  const all = options.correlationId ? { ...headers, 'x-ms-correlation-request-id': options.correlationId } : headers;
  if (Object.keys(all).length === 0) return { abortSignal: options.abortSignal };
  return { abortSignal: options.abortSignal, requestOptions: { customHeaders: all, headers: all } };
}

async function guarded<T>(resourceId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toArmError(error, resourceId);
  }
}

function toAccessRule(rule: IpSecurityRestriction): AccessRule {
  const copy: AccessRule = {};
  const fields = rule as Record<string, unknown>;
  for (const key of ['name', 'description', 'action', 'priority', 'ipAddress', 'subnetMask', 'vnetSubnetResourceId', 'vnetTrafficTag', 'subnetTrafficTag', 'tag', 'headers'] as const) {
    if (fields[key] !== undefined && fields[key] !== null) (copy as Record<string, unknown>)[key] = fields[key];
  }
  return copy;
}

function addressList(addresses: string | undefined): string[] {
  return (addresses ?? '').split(',').map((address) => address.trim()).filter((address) => address !== '');
}

function effectiveDefault(explicit: string | undefined, rules: AccessRule[]): 'Allow' | 'Deny' {
  if (explicit === 'Allow' || explicit === 'Deny') return explicit;
  return rules.length > 0 ? 'Deny' : 'Allow';
}

export function toObservedSiteConfig(config: SiteConfigResource): ObservedSiteConfig {
  const accessRules = (config.ipSecurityRestrictions ?? []).map(toAccessRule).filter((rule) => !isImplicitRule(rule));
  const scmAccessRules = (config.scmIpSecurityRestrictions ?? []).map(toAccessRule).filter((rule) => !isImplicitRule(rule));
  return {
    accessRules,
    defaultAction: effectiveDefault(config.ipSecurityRestrictionsDefaultAction, accessRules),
    scmAccessRules,
    scmDefaultAction: effectiveDefault(config.scmIpSecurityRestrictionsDefaultAction, scmAccessRules),
    scmUseMain: config.scmIpSecurityRestrictionsUseMain === true,
    vnetRouteAllEnabled: config.vnetRouteAllEnabled === true,
  };
}

function toObservedSubnet(subnet: Subnet): ObservedSubnet {
  return {
    id: subnet.id ?? '',
    serviceEndpoints: (subnet.serviceEndpoints ?? []).map((endpoint) => ({ service: endpoint.service ?? '', locations: endpoint.locations })),
    delegations: (subnet.delegations ?? []).map((delegation) => ({ name: delegation.name ?? '', serviceName: delegation.serviceName ?? '' })),
    appServicePlans: (subnet.serviceAssociationLinks ?? [])
      .filter((link) => (link.linkedResourceType ?? '').toLowerCase() === 'microsoft.web/serverfarms' && link.link)
      .map((link) => canonicalId(link.link!)),
    provisioningState: subnet.provisioningState,
    natGatewayId: subnet.natGateway?.id ? canonicalId(subnet.natGateway.id) : undefined,
    routeTableId: subnet.routeTable?.id ? canonicalId(subnet.routeTable.id) : undefined,
    etag: subnet.etag,
    body: JSON.parse(JSON.stringify(subnet)) as Record<string, unknown>,
  };
}

export function toObservedVirtualNetwork(vnet: VirtualNetwork, fallbackId: string): ObservedVirtualNetwork {
  return {
    id: vnet.id ?? fallbackId,
    location: vnet.location ?? '',
    subnets: (vnet.subnets ?? []).map((subnet) => ({ ...toObservedSubnet(subnet), location: vnet.location })),
  };
}

/** ARM lists addresses comma-separated; both lists together are every address the app may call from. */
function outboundAddresses(site: Site): string[] {
  const all = [site.outboundIpAddresses, site.possibleOutboundIpAddresses].flatMap((list) => (list ?? '').split(','));
  return [...new Set(all.map((address) => address.trim()).filter((address) => address.length > 0))];
}

export function toObservedSite(site: Site, fallbackId: string): ObservedSite {
  return {
    id: site.id ?? fallbackId,
    location: site.location,
    kind: site.kind,
    serverFarmId: site.serverFarmId,
    integrationSubnetId: site.virtualNetworkSubnetId ? canonicalId(site.virtualNetworkSubnetId) : undefined,
    publicNetworkAccess: site.publicNetworkAccess,
    outboundIpAddresses: outboundAddresses(site),
    outboundAddresses: addressList(site.outboundIpAddresses),
  };
}

function scopeId(scope: ListScope): string {
  return `/subscriptions/${scope.subscriptionId}${scope.resourceGroup ? `/resourceGroups/${scope.resourceGroup}` : ''}`;
}

/** Every item of a resource group's or a subscription's list, all pages (the SDK iterator follows nextLink). */
function listIn<S, T>(scope: ListScope, list: (resourceGroup?: string) => AsyncIterable<S>, convert: (item: S, scopeId: string) => T): Promise<T[]> {
  const id = scopeId(scope);
  return guarded(id, async () => {
    const items: T[] = [];
    for await (const item of list(scope.resourceGroup)) items.push(convert(item, id));
    return items;
  });
}

function retryAfterInMs(response: PipelineResponse): number {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
}

/**
 * ARM throttles per subscription. After a 429, no request for that subscription is sent until
 * its Retry-After has passed, retries and new requests alike: otherwise new requests take the
 * tokens as they refill and a retried read can lose every race until its retries run out.
 */
export function throttleGatePolicy(pausedUntil: Map<string, number> = new Map()): PipelinePolicy {
  return {
    name: 'lockdownThrottleGate',
    async sendRequest(request, next) {
      const subscription = /\/subscriptions\/([^/?]+)/i.exec(request.url)?.[1]?.toLowerCase() ?? '';
      // A later 429 may move the end of the pause: wait until the latest one has passed.
      for (let wait = (pausedUntil.get(subscription) ?? 0) - Date.now(); wait > 0; wait = (pausedUntil.get(subscription) ?? 0) - Date.now()) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const response = await next(request);
      if (response.status === 429) pausedUntil.set(subscription, Math.max(pausedUntil.get(subscription) ?? 0, Date.now() + retryAfterInMs(response)));
      return response;
    },
  };
}

export class ArmPort implements AzurePort {
  readonly #connection: ArmConnection;
  readonly #pollIntervalInMs: number;
  readonly #retryOptions: ArmPortOptions['retryOptions'];
  readonly #web = new Map<string, WebSiteManagementClient>();
  readonly #network = new Map<string, NetworkManagementClient>();
  readonly #monitor = new Map<string, MonitorClient>();
  #httpClient?: HttpClient;
  /** One gate for every client of this port (see throttleGatePolicy). */
  readonly #throttleGate = [{ policy: throttleGatePolicy(), position: 'perRetry' as const }];

  constructor(connection: ArmConnection, options: ArmPortOptions = {}) {
    this.#connection = connection;
    this.#pollIntervalInMs = options.pollIntervalInMs ?? 2000;
    this.#retryOptions = options.retryOptions;
    this.#httpClient = connection.httpClient;
  }

  /** The transport under every SDK client: the connection's, or HTTPS made on first use. */
  get httpClient(): HttpClient {
    this.#httpClient ??= restPipelineSdk().createDefaultHttpClient();
    return this.#httpClient;
  }

  /** One client per subscription and SDK, made on first use. */
  #client<T>(cache: Map<string, T>, subscriptionId: string, create: () => T): T {
    let client = cache.get(subscriptionId);
    if (!client) {
      client = create();
      cache.set(subscriptionId, client);
    }
    return client;
  }

  #webClient(subscriptionId: string): WebSiteManagementClient {
    const { credential, endpoint, scopes } = this.#connection;
    return this.#client(this.#web, subscriptionId, () => new (appServiceSdk().WebSiteManagementClient)(credential, subscriptionId, { endpoint, credentials: { scopes }, retryOptions: this.#retryOptions, httpClient: this.httpClient, additionalPolicies: this.#throttleGate }));
  }

  #networkClient(subscriptionId: string): NetworkManagementClient {
    const { credential, endpoint, scopes } = this.#connection;
    return this.#client(this.#network, subscriptionId, () => new (networkSdk().NetworkManagementClient)(credential, subscriptionId, { endpoint, credentialScopes: scopes, retryOptions: this.#retryOptions, httpClient: this.httpClient, additionalPolicies: this.#throttleGate }));
  }

  #monitorClient(subscriptionId: string): MonitorClient {
    const { credential, endpoint, scopes } = this.#connection;
    return this.#client(this.#monitor, subscriptionId, () => new (monitorSdk().MonitorClient)(credential, subscriptionId, { endpoint, credentialScopes: scopes, retryOptions: this.#retryOptions, httpClient: this.httpClient, additionalPolicies: this.#throttleGate }));
  }

  getVirtualNetwork(virtualNetworkId: string, options: PortCallOptions = {}): Promise<ObservedVirtualNetwork> {
    return guarded(virtualNetworkId, async () => {
      const parsed = parseResourceId(virtualNetworkId);
      if (!parsed) throw new ArmError(`not a resource id: ${virtualNetworkId}`, 'InvalidResourceId', undefined, 'fatal', virtualNetworkId);
      const vnet = await this.#networkClient(parsed.subscriptionId).virtualNetworks.get(parsed.resourceGroup, parsed.names[0], sdkCall(options));
      return toObservedVirtualNetwork(vnet, virtualNetworkId);
    });
  }

  getSite(siteId: string, options: PortCallOptions = {}): Promise<ObservedSite> {
    return guarded(siteId, async () => {
      const { subscriptionId, resourceGroup, name, slot } = siteOrSlotParts(siteId);
      const webApps = this.#webClient(subscriptionId).webApps;
      const call = sdkCall(options);
      return toObservedSite(await (slot ? webApps.getSlot(resourceGroup, name, slot, call) : webApps.get(resourceGroup, name, call)), siteId);
    });
  }

  listSites(scope: ListScope, options: PortCallOptions = {}): Promise<ObservedSite[]> {
    const webApps = this.#webClient(scope.subscriptionId).webApps;
    const call = sdkCall(options);
    return listIn(scope, (group) => (group ? webApps.listByResourceGroup(group, call) : webApps.list(call)), (site, id) => toObservedSite(site, `${id}/providers/Microsoft.Web/sites/${site.name}`));
  }

  listSlots(siteId: string, options: PortCallOptions = {}): Promise<ObservedSite[]> {
    return guarded(siteId, async () => {
      const { subscriptionId, resourceGroup, name } = siteParts(siteId);
      const slots: ObservedSite[] = [];
      for await (const slot of this.#webClient(subscriptionId).webApps.listSlots(resourceGroup, name, sdkCall(options))) {
        slots.push(toObservedSite(slot, `${siteId}/slots/${slot.name?.split('/').pop()}`));
      }
      return slots;
    });
  }

  listVirtualNetworks(scope: ListScope, options: PortCallOptions = {}): Promise<ObservedVirtualNetwork[]> {
    const virtualNetworks = this.#networkClient(scope.subscriptionId).virtualNetworks;
    const call = sdkCall(options);
    return listIn(
      scope,
      (group) => (group ? virtualNetworks.list(group, call) : virtualNetworks.listAll(call)),
      (vnet, id) => toObservedVirtualNetwork(vnet, `${id}/providers/Microsoft.Network/virtualNetworks/${vnet.name}`),
    );
  }

  getSiteConfig(siteId: string, options: PortCallOptions = {}): Promise<ObservedSiteConfig> {
    return guarded(siteId, async () => {
      return toObservedSiteConfig(await this.#readSiteConfig(siteId, options));
    });
  }

  getPlan(planId: string, options: PortCallOptions = {}): Promise<ObservedPlan> {
    return guarded(planId, async () => {
      const { subscriptionId, resourceGroup, name } = serverFarmParts(planId);
      const plan = await this.#webClient(subscriptionId).appServicePlans.get(resourceGroup, name, sdkCall(options));
      return { id: plan.id ?? planId, skuName: plan.sku?.name, skuTier: plan.sku?.tier };
    });
  }

  putSubnet(subnetId: string, body: Record<string, unknown>, options: PutSubnetOptions = {}): Promise<void> {
    return guarded(subnetId, async () => {
      const { subscriptionId, resourceGroup, virtualNetwork, name } = subnetParts(subnetId);
      await this.#networkClient(subscriptionId).subnets.beginCreateOrUpdateAndWait(resourceGroup, virtualNetwork, name, body as Subnet, {
        ...sdkCall(options, options.ifMatch ? { 'If-Match': options.ifMatch } : {}),
        updateIntervalInMs: this.#pollIntervalInMs,
      });
    });
  }

  connectSiteToSubnet(siteId: string, subnetId: string, options: PortCallOptions = {}): Promise<void> {
    return guarded(siteId, async () => {
      const { subscriptionId, resourceGroup, name, slot } = siteOrSlotParts(siteId);
      const webApps = this.#webClient(subscriptionId).webApps;
      const connection = { subnetResourceId: subnetId, swiftSupported: true };
      const call = sdkCall(options);
      if (slot) await webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheckSlot(resourceGroup, name, slot, connection, call);
      else await webApps.createOrUpdateSwiftVirtualNetworkConnectionWithCheck(resourceGroup, name, connection, call);
    });
  }

  updateSiteConfig(siteId: string, patch: SiteConfigPatch, options: UpdateSiteConfigOptions = {}): Promise<void> {
    return guarded(siteId, async () => {
      const { subscriptionId, resourceGroup, name, slot } = siteOrSlotParts(siteId);
      if (options.expectedAccessRules || options.expectedScmAccessRules || options.expectedDefaultAction) {
        // Rule arrays are replaced whole: never drop a rule someone added after the observation.
        const current = toObservedSiteConfig(await this.#readSiteConfig(siteId, options));
        const changed =
          (options.expectedAccessRules && !sameRules(current.accessRules, options.expectedAccessRules)) ||
          (options.expectedScmAccessRules && !sameRules(current.scmAccessRules, options.expectedScmAccessRules)) ||
          (options.expectedDefaultAction && current.defaultAction !== options.expectedDefaultAction);
        if (changed) {
          throw new ArmError(`the access restrictions of ${name} changed after they were observed; not overwritten`, 'PreconditionFailed', 412, 'slow', siteId);
        }
      }
      const config: SiteConfigResource = {};
      if (patch.accessRules) config.ipSecurityRestrictions = patch.accessRules;
      if (patch.defaultAction) config.ipSecurityRestrictionsDefaultAction = patch.defaultAction;
      if (patch.scmAccessRules) config.scmIpSecurityRestrictions = patch.scmAccessRules;
      if (patch.scmDefaultAction) config.scmIpSecurityRestrictionsDefaultAction = patch.scmDefaultAction;
      if (patch.scmUseMain !== undefined) config.scmIpSecurityRestrictionsUseMain = patch.scmUseMain;
      if (patch.vnetRouteAllEnabled !== undefined) config.vnetRouteAllEnabled = patch.vnetRouteAllEnabled;
      if (patch.publicNetworkAccess !== undefined) config.publicNetworkAccess = patch.publicNetworkAccess;
      if (slot) await this.#webClient(subscriptionId).webApps.updateConfigurationSlot(resourceGroup, name, slot, config, sdkCall(options));
      else await this.#webClient(subscriptionId).webApps.updateConfiguration(resourceGroup, name, config, sdkCall(options));
    });
  }

  /** config/web of an app, or of a slot through the slot operations. */
  #readSiteConfig(siteId: string, options: PortCallOptions): Promise<SiteConfigResource> {
    const { subscriptionId, resourceGroup, name, slot } = siteOrSlotParts(siteId);
    const webApps = this.#webClient(subscriptionId).webApps;
    const call = sdkCall(options);
    return slot ? webApps.getConfigurationSlot(resourceGroup, name, slot, call) : webApps.getConfiguration(resourceGroup, name, call);
  }

  listActivity(resourceId: string, fromIso: string, toIso: string, options: PortCallOptions = {}): Promise<ActivityRecord[]> {
    return guarded(resourceId, async () => {
      const parsed = parseResourceId(resourceId);
      if (!parsed) throw new ArmError(`not a resource id: ${resourceId}`, 'InvalidResourceId', undefined, 'fatal', resourceId);
      // By resource group, then matched here: a write to a child (sites/x/config/web) belongs to
      // the resource too, whatever `resourceUri eq` does with children in a given region.
      const filter = `eventTimestamp ge '${fromIso}' and eventTimestamp le '${toIso}' and resourceGroupName eq '${parsed.resourceGroup}'`;
      const wanted = canonicalId(resourceId);
      const records: ActivityRecord[] = [];
      for await (const event of this.#monitorClient(parsed.subscriptionId).activityLogs.list(filter, sdkCall(options))) {
        const eventResource = event.resourceId ? canonicalId(event.resourceId) : '';
        if (eventResource !== wanted && !eventResource.startsWith(`${wanted}/`)) continue;
        records.push({
          eventTimestamp: event.eventTimestamp ? new Date(event.eventTimestamp).toISOString() : '',
          caller: event.caller,
          operationName: event.operationName?.value,
          resourceId: event.resourceId,
          correlationId: event.correlationId,
          status: event.status?.value,
        });
      }
      return records;
    });
  }
}
