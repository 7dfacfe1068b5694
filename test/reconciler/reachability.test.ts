import { admits, reachable, sourceOf, type CalleeNode, type NetworkState } from '../../src/reconciler/reachability';

const SUBNET = '/subscriptions/s/resourcegroups/net/providers/microsoft.network/virtualnetworks/hub/subnets/apps';
const callee = (overrides: Partial<CalleeNode> = {}): CalleeNode => ({ id: 'callee', main: { rules: [], defaultAction: 'Allow' }, publicAccessDisabled: false, ...overrides });
const state = (options: { endpoint?: boolean; nat?: boolean; routeTable?: boolean; integrated?: boolean; routeAll?: boolean; callee?: CalleeNode } = {}): NetworkState => ({
  subnets: new Map([[SUBNET, { id: SUBNET, webEndpoint: options.endpoint ?? true, natGatewayId: options.nat ? 'nat' : undefined, routeTableId: options.routeTable ? 'rt' : undefined }]]),
  callers: new Map([['caller', { id: 'caller', integrationSubnetId: options.integrated === false ? undefined : SUBNET, routeAll: options.routeAll ?? false, outboundAddresses: ['198.51.100.10'] }]]),
  callees: new Map([['callee', options.callee ?? callee()]]),
});
const denyExcept = (...rules: NonNullable<CalleeNode['main']['rules']>) => callee({ main: { rules, defaultAction: 'Deny' } });

describe('reachability: where a caller\'s calls come from', () => {
  it('from its subnet when the subnet has the Microsoft.Web endpoint, route-all or not', () => {
    expect(sourceOf(state({ routeAll: false }), 'caller')).toEqual({ kind: 'subnet', subnetId: SUBNET });
    expect(sourceOf(state({ routeAll: true }), 'caller')).toEqual({ kind: 'subnet', subnetId: SUBNET });
  });

  it('from its outbound addresses without the endpoint, or when not integrated', () => {
    expect(sourceOf(state({ endpoint: false }), 'caller')).toEqual({ kind: 'addresses', addresses: ['198.51.100.10'] });
    expect(sourceOf(state({ integrated: false }), 'caller')).toEqual({ kind: 'addresses', addresses: ['198.51.100.10'] });
  });

  it('from the NAT gateway when route-all sends it through a subnet that has one', () => {
    expect(sourceOf(state({ endpoint: false, routeAll: true, nat: true }), 'caller')).toEqual({ kind: 'natGateway', natGatewayId: 'nat' });
  });

  it('from somewhere unknown when route-all sends it through a route table', () => {
    expect(sourceOf(state({ endpoint: false, routeAll: true, routeTable: true }), 'caller')).toEqual({ kind: 'unknown' });
  });
});

describe('reachability: what a callee admits', () => {
  it('by its first matching rule in priority order', () => {
    const rules = [
      { name: 'allow', action: 'Allow', priority: 200, vnetSubnetResourceId: SUBNET },
      { name: 'deny', action: 'Deny', priority: 100, vnetSubnetResourceId: SUBNET },
    ];
    expect(reachable(state({ callee: denyExcept(...rules) }), 'caller', 'callee')).toBe(false);
    expect(reachable(state({ callee: denyExcept(rules[0]) }), 'caller', 'callee')).toBe(true);
  });

  it('by address ranges for calls from outbound addresses', () => {
    expect(reachable(state({ endpoint: false, callee: denyExcept({ action: 'Allow', priority: 1, ipAddress: '198.51.100.0/24' }) }), 'caller', 'callee')).toBe(true);
    expect(reachable(state({ endpoint: false, callee: denyExcept({ action: 'Allow', priority: 1, ipAddress: '203.0.113.0/24' }) }), 'caller', 'callee')).toBe(false);
  });

  it('by its default action when no rule matches', () => {
    expect(reachable(state({ callee: callee() }), 'caller', 'callee')).toBe(true);
    expect(reachable(state({ callee: denyExcept() }), 'caller', 'callee')).toBe(false);
  });

  it('nothing over the public endpoint while public network access is disabled', () => {
    expect(reachable(state({ callee: callee({ publicAccessDisabled: true }) }), 'caller', 'callee')).toBe(false);
  });

  it('never a service tag or header rule, which the model cannot evaluate', () => {
    expect(reachable(state({ callee: denyExcept({ action: 'Allow', priority: 1, ipAddress: 'AzureCloud', tag: 'ServiceTag' }) }), 'caller', 'callee')).toBe(false);
  });

  it('the SCM site by its own rules unless it follows the main site', () => {
    const own = callee({ scm: { rules: [], defaultAction: 'Deny' } });
    expect(admits(own, { kind: 'subnet', subnetId: SUBNET }, 'scm')).toBe(false);
    expect(admits(callee(), { kind: 'subnet', subnetId: SUBNET }, 'scm')).toBe(true);
  });

  it('unknown when the callee could not be read', () => {
    const unread: NetworkState = { ...state(), callees: new Map() };
    expect(reachable(unread, 'caller', 'callee')).toBeUndefined();
  });
});
