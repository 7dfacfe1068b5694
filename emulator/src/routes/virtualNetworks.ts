/**
 * Microsoft.Network virtualNetworks GET and subnets GET / list / PUT. The subnet PUT is a full replace
 * and a long-running operation (Azure-AsyncOperation), during which the virtual network is locked.
 */
import { ArmError, errors } from '../errors';
import { cidrContains, cidrOverlaps, eqi, etag, formatIpv4, networkOf, normalizeLocation, parseCidr } from '../ids';
import type { Lro } from '../lro';
import type { LinkedCheck, Route, RouteCtx } from '../router';
import type { Ref, SubnetProps, SubnetRec, VnetRec } from '../state';
import { defaultEndpointLocations } from '../topology';
import { integratedSites, renderSubnet, renderVnet } from '../wire';
import { bodyObject, getVnet, NETWORK, propertiesOf, SUBNET, subnetScope, VNET, vnetScope } from './common';
import { statusUrl } from './operations';

const REF_TYPES: Record<string, { type: string; join: string }> = {
  networkSecurityGroup: { type: 'networkSecurityGroups', join: 'Microsoft.Network/networkSecurityGroups/join/action' },
  routeTable: { type: 'routeTables', join: 'Microsoft.Network/routeTables/join/action' },
  natGateway: { type: 'natGateways', join: 'Microsoft.Network/natGateways/join/action' },
};

const SERVICE_ENDPOINT_POLICY_JOIN = 'Microsoft.Network/serviceEndpointPolicies/join/action';

function getSubnet(ctx: RouteCtx): SubnetRec {
  const vnet = getVnet(ctx);
  const subnet = ctx.core.store.get<SubnetRec>(subnetScope(ctx.params), 'subnet');
  if (!subnet) throw errors.networkNotFound(`${vnet.id}/subnets/${ctx.params.subnetName}`);
  return subnet;
}

function parseRef(props: Record<string, any>, field: string): Ref | undefined {
  const v = props[field];
  if (v === undefined || v === null) return undefined;
  return checkedRef(typeof v === 'object' ? v.id : undefined, field, REF_TYPES[field].type);
}

function checkedRef(id: unknown, path: string, type: string): Ref {
  const pattern = new RegExp(`^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.Network/${type}/[^/]+$`, 'i');
  if (typeof id !== 'string' || !pattern.test(id))
    throw new ArmError(
      400,
      'LinkedInvalidPropertyId',
      `Property id '${id ?? ''}' at path 'properties.${path}.id' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
    );
  return { id };
}

/** validates a subnet PUT body against the virtual network and builds the new (full-replace) properties */
function buildProps(ctx: RouteCtx, vnet: VnetRec, existing: SubnetRec | undefined, subnetResourceId: string): SubnetProps {
  const p = propertiesOf(ctx.req);
  const name = ctx.params.subnetName;
  const prefixes: string[] = [];
  if (p.addressPrefix !== undefined && p.addressPrefix !== null) prefixes.push(p.addressPrefix);
  if (Array.isArray(p.addressPrefixes)) prefixes.push(...p.addressPrefixes);
  if (!prefixes.length)
    throw new ArmError(400, 'InvalidRequestFormat', 'Cannot parse the request.', {}, [
      { code: 'MissingJsonProperty', message: `Subnet '${name}' must specify properties.addressPrefix or properties.addressPrefixes.` },
    ]);
  const vnetCidrs = vnet.addressPrefixes.map(parseCidr).filter((c): c is NonNullable<typeof c> => !!c);
  const others = ctx.core.store
    .all<SubnetRec>('subnet')
    .filter((s) => eqi(s.vnetId, vnet.id) && !eqi(s.id, subnetResourceId));
  for (const prefix of prefixes) {
    const c = typeof prefix === 'string' ? parseCidr(prefix) : undefined;
    if (!c)
      throw errors.badRequest(
        `Address prefix ${prefix} of resource ${subnetResourceId} is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.`,
        'InvalidAddressPrefixFormat',
      );
    if (networkOf(c) !== c.base)
      throw errors.badRequest(
        `The address prefix ${prefix} in resource ${subnetResourceId} has an invalid CIDR notation. For the given prefix length, the address prefix should be ${formatIpv4(networkOf(c))}/${c.bits}.`,
        'InvalidCIDRNotation',
      );
    if (!vnetCidrs.some((v) => cidrContains(v, c)))
      throw errors.badRequest(
        `Subnet '${name}' is not valid because its IP address range is outside the IP address range of virtual network '${vnet.name}'.`,
        'NetcfgSubnetRangeOutsideVnet',
      );
    for (const o of others) {
      const theirs = [o.props.addressPrefix, ...(o.props.addressPrefixes ?? [])].filter((x): x is string => !!x).map(parseCidr);
      if (theirs.some((t) => t && cidrOverlaps(t, c)))
        throw errors.badRequest(
          `Subnet '${name}' is not valid because its IP address range overlaps with that of an existing subnet '${o.name}' in virtual network '${vnet.name}'.`,
          'NetcfgSubnetRangesOverlap',
        );
    }
  }
  const serviceEndpoints = (Array.isArray(p.serviceEndpoints) ? p.serviceEndpoints : []).map((e: any, i: number) => {
    if (!e || typeof e.service !== 'string' || !e.service)
      throw errors.badRequest(`properties.serviceEndpoints[${i}].service is required.`, 'InvalidRequestFormat');
    return {
      service: e.service,
      locations: Array.isArray(e.locations) && e.locations.length ? [...e.locations] : defaultEndpointLocations(e.service, vnet.location),
    };
  });
  const delegations = (Array.isArray(p.delegations) ? p.delegations : []).map((d: any, i: number) => {
    const serviceName = d?.properties?.serviceName ?? d?.serviceName;
    if (typeof serviceName !== 'string' || !serviceName)
      throw errors.badRequest(`properties.delegations[${i}].properties.serviceName is required.`, 'InvalidRequestFormat');
    return { name: typeof d.name === 'string' && d.name ? d.name : `delegation${i}`, serviceName };
  });
  for (const f of ['privateEndpointNetworkPolicies', 'privateLinkServiceNetworkPolicies'] as const) {
    const allowed = f === 'privateEndpointNetworkPolicies' ? ['Enabled', 'Disabled', 'NetworkSecurityGroupEnabled', 'RouteTableEnabled'] : ['Enabled', 'Disabled'];
    if (p[f] !== undefined && p[f] !== null && !allowed.includes(p[f]))
      throw errors.badRequest(`The value '${p[f]}' of properties.${f} is invalid. Allowed values: ${allowed.join(', ')}.`, 'InvalidRequestFormat');
  }
  const props: SubnetProps = {
    serviceEndpoints,
    delegations,
    privateEndpointNetworkPolicies: p.privateEndpointNetworkPolicies ?? 'Disabled',
    privateLinkServiceNetworkPolicies: p.privateLinkServiceNetworkPolicies ?? 'Enabled',
  };
  if (p.addressPrefix !== undefined && p.addressPrefix !== null) props.addressPrefix = p.addressPrefix;
  if (Array.isArray(p.addressPrefixes)) props.addressPrefixes = [...p.addressPrefixes];
  for (const f of Object.keys(REF_TYPES) as (keyof typeof REF_TYPES)[]) {
    const ref = parseRef(p, f);
    if (ref) (props as any)[f] = ref;
  }
  if (Array.isArray(p.serviceEndpointPolicies))
    props.serviceEndpointPolicies = p.serviceEndpointPolicies.map((r: any, i: number) => checkedRef(r?.id, `serviceEndpointPolicies[${i}]`, 'serviceEndpointPolicies'));
  if (typeof p.defaultOutboundAccess === 'boolean') props.defaultOutboundAccess = p.defaultOutboundAccess;
  if (typeof p.sharingScope === 'string') props.sharingScope = p.sharingScope;

  // a subnet used by App Service VNet integration keeps its delegation and address range
  if (existing) {
    const users = integratedSites(ctx.core.store.current(), existing.id);
    if (users.length) {
      const link = `${existing.id}/serviceAssociationLinks/AppServiceLink`;
      if (!delegations.some((d: { serviceName: string }) => eqi(d.serviceName, 'Microsoft.Web/serverFarms')))
        throw errors.badRequest(
          `Subnet ${existing.id} requires any of the following delegation(s) [Microsoft.Web/serverFarms] to reference service association link ${link}.`,
          'SubnetMissingRequiredDelegation',
        );
      const before = JSON.stringify([existing.props.addressPrefix ?? null, existing.props.addressPrefixes ?? null]);
      const after = JSON.stringify([props.addressPrefix ?? null, props.addressPrefixes ?? null]);
      if (before !== after)
        throw errors.badRequest(
          `Subnet ${existing.name} is in use by ${link} and cannot be updated.`,
          'InUseSubnetCannotBeUpdated',
        );
    }
  }
  return props;
}

function putSubnet(ctx: RouteCtx) {
  const store = ctx.core.store;
  const vnet = store.get<VnetRec>(vnetScope(ctx.params), 'vnet');
  if (!vnet) throw errors.parentNotFound(ctx.params.virtualNetworkName);
  const busy = ctx.core.lros.inFlight(vnet.id);
  if (busy) throw errors.anotherOperation(429, statusUrl(ctx.req.baseUrl, store.subscriptionId, busy), ctx.core.retryAfter);
  bodyObject(ctx.req);
  const existing = store.get<SubnetRec>(subnetScope(ctx.params), 'subnet');
  const ifMatch = ctx.req.headers['if-match'];
  // If-Match: * means "only if it exists" (RFC 9110 13.1.1): never a create
  if (ifMatch === '*' && !existing)
    throw new ArmError(412, 'PreconditionFailed', `Precondition failed: the subnet '${ctx.params.subnetName}' does not exist and If-Match is '*'.`);
  if (ifMatch && ifMatch !== '*' && ifMatch !== existing?.etag)
    throw new ArmError(412, 'PreconditionFailed', `Precondition failed: the etag '${ifMatch}' does not match the current etag of the subnet.`);
  const id = existing?.id ?? `${vnet.id}/subnets/${ctx.params.subnetName}`;
  const props = buildProps(ctx, vnet, existing, id);

  const tag = etag();
  const next: SubnetRec = {
    type: 'subnet',
    id,
    vnetId: vnet.id,
    name: existing?.name ?? ctx.params.subnetName,
    props,
    etag: tag,
    provisioningState: 'Updating',
  };
  store.put(next);
  store.put({ ...vnet, etag: tag, subnetNames: existing ? vnet.subnetNames : [...vnet.subnetNames, next.name] });
  store.snapshot(ctx.cause);

  const { core, principal, req } = ctx;
  const action = 'Microsoft.Network/virtualNetworks/subnets/write';
  const lro = core.lros.start({
    location: normalizeLocation(vnet.location),
    lockId: vnet.id,
    fail: ctx.lroFailed,
    onComplete: (op: Lro) => {
      const current = store.get<SubnetRec>(id, 'subnet');
      if (!current) return;
      if (op.status === 'Succeeded') store.update(current, (s) => void (s.provisioningState = 'Succeeded'));
      else if (existing) store.put({ ...existing, etag: etag(), provisioningState: 'Failed' });
      else store.update(current, (s) => void (s.provisioningState = 'Failed'));
      store.snapshot(`LRO ${op.id} ${op.status}: ${ctx.cause}`);
      core.activity.record({
        caller: principal.caller,
        objectId: principal.objectId,
        principalType: principal.principalType,
        correlationId: req.correlationId,
        operationId: op.id,
        action,
        resourceId: id,
        subscriptionId: store.subscriptionId,
        status: op.status === 'Succeeded' ? 'Succeeded' : 'Failed',
        httpStatus: 200,
        method: req.method,
        clientRequestId: req.clientRequestId,
        serviceRequestId: req.requestId,
        errorBody: op.error ? { error: op.error } : undefined,
      });
    },
  });
  return {
    status: existing ? 200 : 201,
    body: renderSubnet(store.current(), next),
    headers: {
      'Azure-AsyncOperation': statusUrl(req.baseUrl, store.subscriptionId, lro),
      'Retry-After': String(core.retryAfter),
    },
    resourceId: id,
    lroStarted: true,
    lroId: lro.id,
  };
}

/**
 * ARM checks join/action on every resource the body links to, changed or not: a subnet write that
 * carries its existing NSG or route table needs join on them too (LinkedAuthorizationFailed).
 */
function subnetJoins(ctx: RouteCtx): LinkedCheck[] {
  const p = (() => {
    try {
      return propertiesOf(ctx.req);
    } catch {
      return {};
    }
  })();
  const checks: LinkedCheck[] = [];
  for (const [field, { join }] of Object.entries(REF_TYPES)) {
    const id = p[field]?.id;
    if (typeof id === 'string' && id) checks.push({ action: join, scope: id });
  }
  for (const policy of Array.isArray(p.serviceEndpointPolicies) ? p.serviceEndpointPolicies : [])
    if (typeof policy?.id === 'string' && policy.id) checks.push({ action: SERVICE_ENDPOINT_POLICY_JOIN, scope: policy.id });
  return checks;
}

export const virtualNetworkRoutes: Route[] = [
  {
    method: 'GET',
    pattern: VNET,
    operationId: 'VirtualNetworks_Get',
    provider: NETWORK,
    kind: 'read',
    action: 'Microsoft.Network/virtualNetworks/read',
    scope: vnetScope,
    handle: (ctx) => ({ status: 200, body: renderVnet(ctx.core.store.current(), getVnet(ctx)) }),
  },
  {
    method: 'GET',
    pattern: `${VNET}/subnets`,
    operationId: 'Subnets_List',
    provider: NETWORK,
    kind: 'read',
    action: 'Microsoft.Network/virtualNetworks/subnets/read',
    scope: (p) => `${vnetScope(p)}/subnets`,
    handle: (ctx) => ({ status: 200, body: { value: renderVnet(ctx.core.store.current(), getVnet(ctx)).properties.subnets } }),
  },
  {
    method: 'GET',
    pattern: SUBNET,
    operationId: 'Subnets_Get',
    provider: NETWORK,
    kind: 'read',
    action: 'Microsoft.Network/virtualNetworks/subnets/read',
    scope: subnetScope,
    handle: (ctx) => ({ status: 200, body: renderSubnet(ctx.core.store.current(), getSubnet(ctx)) }),
  },
  {
    method: 'PUT',
    pattern: SUBNET,
    operationId: 'Subnets_CreateOrUpdate',
    provider: NETWORK,
    kind: 'write',
    action: 'Microsoft.Network/virtualNetworks/subnets/write',
    scope: subnetScope,
    linked: subnetJoins,
    startsLro: true,
    handle: putSubnet,
  },
];
