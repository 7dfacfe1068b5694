/**
 * Microsoft.Network virtualNetworks GET and subnets GET / list / PUT. The subnet PUT is a full replace
 * and a long-running operation (Azure-AsyncOperation), during which the virtual network is locked.
 */
import { ArmError, errors } from '../errors';
import { cidrContains, cidrOverlaps, eqi, etag, formatIpv4, networkOf, isObject, normalizeLocation, parseCidr, stringField, type Cidr } from '../ids';
import type { Lro } from '../lro';
import type { LinkedCheck, Route, RouteCtx } from '../router';
import type { Ref, SubnetProps, SubnetRec, VnetRec } from '../state';
import { defaultEndpointLocations } from '../topology';
import { integratedSites, renderSubnet, renderVnet } from '../wire';
import { bodyObject, getVnet, NETWORK, propertiesOf, SUBNET, subnetScope, VNET, vnetScope } from './common';
import { statusUrl } from './operations';

type RefField = 'networkSecurityGroup' | 'routeTable' | 'natGateway';

const REF_TYPES: Record<RefField, { type: string; join: string }> = {
  networkSecurityGroup: { type: 'networkSecurityGroups', join: 'Microsoft.Network/networkSecurityGroups/join/action' },
  routeTable: { type: 'routeTables', join: 'Microsoft.Network/routeTables/join/action' },
  natGateway: { type: 'natGateways', join: 'Microsoft.Network/natGateways/join/action' },
};

const SERVICE_ENDPOINT_POLICY_JOIN = 'Microsoft.Network/serviceEndpointPolicies/join/action';

const NETWORK_POLICIES = {
  privateEndpointNetworkPolicies: { allowed: ['Enabled', 'Disabled', 'NetworkSecurityGroupEnabled', 'RouteTableEnabled'], fallback: 'Disabled' },
  privateLinkServiceNetworkPolicies: { allowed: ['Enabled', 'Disabled'], fallback: 'Enabled' },
};

function getSubnet(ctx: RouteCtx): SubnetRec {
  const vnet = getVnet(ctx);
  const subnet = ctx.core.store.get<SubnetRec>(subnetScope(ctx.params), 'subnet');
  if (!subnet) throw errors.networkNotFound(`${vnet.id}/subnets/${ctx.params.subnetName}`);
  return subnet;
}

function parseRef(props: Record<string, unknown>, field: RefField): Ref | undefined {
  const value = props[field];
  if (value === undefined || value === null) return undefined;
  return checkedRef(isObject(value) ? value.id : undefined, field, REF_TYPES[field].type);
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

const isPresent = (value: unknown) => value !== undefined && value !== null;

/** addressPrefix and addressPrefixes of the body, as sent (at least one) */
function requestedPrefixes(body: Record<string, unknown>, name: string): unknown[] {
  const prefixes: unknown[] = [];
  if (isPresent(body.addressPrefix)) prefixes.push(body.addressPrefix);
  if (Array.isArray(body.addressPrefixes)) prefixes.push(...body.addressPrefixes);
  if (!prefixes.length)
    throw new ArmError(400, 'InvalidRequestFormat', 'Cannot parse the request.', {}, [
      { code: 'MissingJsonProperty', message: `Subnet '${name}' must specify properties.addressPrefix or properties.addressPrefixes.` },
    ]);
  return prefixes;
}

/** a prefix in CIDR notation whose address is its network's */
function parsePrefix(prefix: unknown, subnetResourceId: string): Cidr {
  const cidr = typeof prefix === 'string' ? parseCidr(prefix) : undefined;
  if (!cidr)
    throw errors.badRequest(
      `Address prefix ${prefix} of resource ${subnetResourceId} is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.`,
      'InvalidAddressPrefixFormat',
    );
  if (networkOf(cidr) !== cidr.base)
    throw errors.badRequest(
      `The address prefix ${prefix} in resource ${subnetResourceId} has an invalid CIDR notation. For the given prefix length, the address prefix should be ${formatIpv4(networkOf(cidr))}/${cidr.bits}.`,
      'InvalidCIDRNotation',
    );
  return cidr;
}

const prefixesOf = (props: SubnetProps) => [props.addressPrefix, ...(props.addressPrefixes ?? [])].filter((prefix): prefix is string => !!prefix).map(parseCidr);

/** every prefix is well formed, inside the virtual network and clear of its other subnets */
function checkPrefixes(ctx: RouteCtx, vnet: VnetRec, subnetResourceId: string, prefixes: unknown[]): void {
  const name = ctx.params.subnetName;
  const vnetCidrs = vnet.addressPrefixes.map(parseCidr).filter((cidr): cidr is Cidr => !!cidr);
  const others = ctx.core.store.all<SubnetRec>('subnet').filter((subnet) => eqi(subnet.vnetId, vnet.id) && !eqi(subnet.id, subnetResourceId));
  for (const prefix of prefixes) {
    const cidr = parsePrefix(prefix, subnetResourceId);
    if (!vnetCidrs.some((range) => cidrContains(range, cidr)))
      throw errors.badRequest(
        `Subnet '${name}' is not valid because its IP address range is outside the IP address range of virtual network '${vnet.name}'.`,
        'NetcfgSubnetRangeOutsideVnet',
      );
    const overlapped = others.find((other) => prefixesOf(other.props).some((theirs) => theirs && cidrOverlaps(theirs, cidr)));
    if (overlapped)
      throw errors.badRequest(
        `Subnet '${name}' is not valid because its IP address range overlaps with that of an existing subnet '${overlapped.name}' in virtual network '${vnet.name}'.`,
        'NetcfgSubnetRangesOverlap',
      );
  }
}

function parseServiceEndpoints(value: unknown, vnet: VnetRec): SubnetProps['serviceEndpoints'] {
  return (Array.isArray(value) ? value : []).map((endpoint: unknown, index: number) => {
    const service = stringField(endpoint, 'service');
    if (!service) throw errors.badRequest(`properties.serviceEndpoints[${index}].service is required.`, 'InvalidRequestFormat');
    const locations = isObject(endpoint) ? endpoint.locations : undefined;
    return {
      service,
      locations: Array.isArray(locations) && locations.length ? ([...locations] as string[]) : defaultEndpointLocations(service, vnet.location),
    };
  });
}

function parseDelegations(value: unknown): SubnetProps['delegations'] {
  return (Array.isArray(value) ? value : []).map((delegation: unknown, index: number) => {
    const serviceName = (isObject(delegation) && isObject(delegation.properties) ? delegation.properties.serviceName : undefined) ?? (isObject(delegation) ? delegation.serviceName : undefined);
    if (typeof serviceName !== 'string' || !serviceName)
      throw errors.badRequest(`properties.delegations[${index}].properties.serviceName is required.`, 'InvalidRequestFormat');
    return { name: stringField(delegation, 'name') || `delegation${index}`, serviceName };
  });
}

/** privateEndpointNetworkPolicies or privateLinkServiceNetworkPolicies: one of the allowed values, or the default */
function networkPolicies(body: Record<string, unknown>, field: keyof typeof NETWORK_POLICIES): string {
  const { allowed, fallback } = NETWORK_POLICIES[field];
  const value = body[field];
  if (!isPresent(value)) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value))
    throw errors.badRequest(`The value '${value}' of properties.${field} is invalid. Allowed values: ${allowed.join(', ')}.`, 'InvalidRequestFormat');
  return value;
}

/** a subnet used by App Service VNet integration keeps its delegation and address range */
function checkInUse(ctx: RouteCtx, existing: SubnetRec | undefined, props: SubnetProps): void {
  if (!existing || !integratedSites(ctx.core.store.current(), existing.id).length) return;
  const link = `${existing.id}/serviceAssociationLinks/AppServiceLink`;
  if (!props.delegations.some((delegation) => eqi(delegation.serviceName, 'Microsoft.Web/serverFarms')))
    throw errors.badRequest(
      `Subnet ${existing.id} requires any of the following delegation(s) [Microsoft.Web/serverFarms] to reference service association link ${link}.`,
      'SubnetMissingRequiredDelegation',
    );
  const before = JSON.stringify([existing.props.addressPrefix ?? null, existing.props.addressPrefixes ?? null]);
  const after = JSON.stringify([props.addressPrefix ?? null, props.addressPrefixes ?? null]);
  if (before !== after)
    throw errors.badRequest(`Subnet ${existing.name} is in use by ${link} and cannot be updated.`, 'InUseSubnetCannotBeUpdated');
}

/** validates a subnet PUT body against the virtual network and builds the new (full-replace) properties */
function buildProps(ctx: RouteCtx, vnet: VnetRec, existing: SubnetRec | undefined, subnetResourceId: string): SubnetProps {
  const body = propertiesOf(ctx.req);
  checkPrefixes(ctx, vnet, subnetResourceId, requestedPrefixes(body, ctx.params.subnetName));
  const props: SubnetProps = {
    serviceEndpoints: parseServiceEndpoints(body.serviceEndpoints, vnet),
    delegations: parseDelegations(body.delegations),
    privateEndpointNetworkPolicies: networkPolicies(body, 'privateEndpointNetworkPolicies'),
    privateLinkServiceNetworkPolicies: networkPolicies(body, 'privateLinkServiceNetworkPolicies'),
  };
  // checkPrefixes accepted only strings
  if (isPresent(body.addressPrefix)) props.addressPrefix = body.addressPrefix as string;
  if (Array.isArray(body.addressPrefixes)) props.addressPrefixes = [...body.addressPrefixes] as string[];
  for (const field of Object.keys(REF_TYPES) as RefField[]) {
    const ref = parseRef(body, field);
    if (ref) props[field] = ref;
  }
  if (Array.isArray(body.serviceEndpointPolicies))
    props.serviceEndpointPolicies = body.serviceEndpointPolicies.map((policy: unknown, index: number) =>
      checkedRef(isObject(policy) ? policy.id : undefined, `serviceEndpointPolicies[${index}]`, 'serviceEndpointPolicies'),
    );
  if (typeof body.defaultOutboundAccess === 'boolean') props.defaultOutboundAccess = body.defaultOutboundAccess;
  if (typeof body.sharingScope === 'string') props.sharingScope = body.sharingScope;
  checkInUse(ctx, existing, props);
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
    const id = stringField(p[field], 'id');
    if (id) checks.push({ action: join, scope: id });
  }
  for (const policy of Array.isArray(p.serviceEndpointPolicies) ? p.serviceEndpointPolicies : []) {
    const id = stringField(policy, 'id');
    if (id) checks.push({ action: SERVICE_ENDPOINT_POLICY_JOIN, scope: id });
  }
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
