import type { ArmError } from '../../src/reconciler/armError';
import { confirmPaths } from '../../src/reconciler/pathGuard';
import type { PlannedAction } from '../../src/reconciler/plan';
import type { AzurePort } from '../../src/reconciler/port';
import { canonicalId, virtualNetworkOf } from '../../src/reconciler/resourceId';
import { planTick } from '../../src/reconciler/tick';
import { APPS, NOW, ORDERS, PAYMENTS, policy, World } from '../support/world';

const ENDPOINT = { serviceEndpoints: [{ service: 'Microsoft.Web' }], delegations: [{ name: 'd', serviceName: 'Microsoft.Web/serverFarms' }] };

/** The caller is integrated with a subnet that has the endpoint; the callee is still open: the plan locks it. */
const integratedCallerOpenCallee = () => World.open().withSubnet(APPS, ENDPOINT).withSite(ORDERS, { integrationSubnetId: canonicalId(APPS), outboundAddresses: ['198.51.100.10'] }, {});

/** Reads answered from a world, as ARM would answer them now; every read is counted. */
function portOf(world: World, reads: string[] = []): AzurePort {
  const site = (id: string) => world.sites.get(canonicalId(id))!;
  return {
    getSite: async (id: string) => (reads.push(`site ${id}`), site(id)),
    getSiteConfig: async (id: string) => (reads.push(`config ${id}`), world.configs.get(canonicalId(id))!),
    getVirtualNetwork: async (id: string) => {
      reads.push(`vnet ${id}`);
      const subnets = [...world.subnets.values()].filter((subnet) => virtualNetworkOf(canonicalId(subnet.id)) === id);
      return { id, location: 'westeurope', subnets };
    },
  } as unknown as AzurePort;
}

function restrictOf(world: World): PlannedAction {
  const plan = planTick({ policies: [policy()], observed: world.observed(), now: NOW });
  const restrict = plan.actions.find((action) => action.kind === 'callee.restrictAccess');
  expect(restrict?.enforcement.apply).toBe(true);
  return restrict!;
}

describe('path guard: the pairs a write could close, checked again right before it', () => {
  it('is planned on the write that locks the callee, naming the pair the proof relied on', () => {
    expect(restrictOf(integratedCallerOpenCallee()).pathGuard).toEqual([{ callerId: ORDERS, calleeId: PAYMENTS }]);
  });

  it('migrating from an IP allow-list: guards the endpoint write (it moves the integrated caller onto the subnet), not the admit (it only widens)', () => {
    const world = World.open()
      .withSubnet(APPS, { delegations: ENDPOINT.delegations })
      .withSite(ORDERS, { integrationSubnetId: canonicalId(APPS), outboundAddresses: ['198.51.100.10'] }, {})
      .withSite(PAYMENTS, {}, { accessRules: [{ name: 'orders-ip', action: 'Allow', priority: 10, ipAddress: '198.51.100.10/32' }], defaultAction: 'Deny' });
    const plan = planTick({ policies: [policy()], observed: world.observed(), now: NOW });
    const guardOf = (kind: PlannedAction['kind']) => plan.actions.find((action) => action.kind === kind)!.pathGuard;
    expect(guardOf('callee.admitCallers')).toBeUndefined();
    expect(guardOf('subnet.enableAppServiceAccess')).toEqual([{ callerId: ORDERS, calleeId: PAYMENTS }]);
    expect(guardOf('callee.restrictAccess')).toEqual([{ callerId: ORDERS, calleeId: PAYMENTS }]);
  });

  it('lets the write through when the path is as observed, reading the caller, its VNet and the callee once each', async () => {
    const world = integratedCallerOpenCallee();
    const reads: string[] = [];
    await expect(confirmPaths(portOf(world, reads), restrictOf(world), {})).resolves.toBeUndefined();
    expect(reads.sort()).toEqual([`config ${ORDERS}`, `config ${PAYMENTS}`, `site ${ORDERS}`, `site ${PAYMENTS}`, `vnet ${virtualNetworkOf(canonicalId(APPS))}`].sort());
  });

  it("refuses the write when the caller's subnet lost the endpoint since: its calls now come from its outbound address", async () => {
    const world = integratedCallerOpenCallee();
    const restrict = restrictOf(world);
    world.withSubnet(APPS, { delegations: ENDPOINT.delegations });
    const refusal = (await confirmPaths(portOf(world), restrict, {}).catch((error: unknown) => error)) as ArmError;
    expect(refusal).toMatchObject({ name: 'ArmError', code: 'PathChanged', statusCode: 412, retry: 'slow' });
    expect(refusal.message).toContain('would now cut off caller orders-web → callee payments-func');
  });

  it('refuses the write when the path can no longer be told (route-all into a subnet with a route table)', async () => {
    const world = integratedCallerOpenCallee();
    const restrict = restrictOf(world);
    world.withSubnet(APPS, { delegations: ENDPOINT.delegations, routeTableId: '/subscriptions/s/resourceGroups/net/providers/Microsoft.Network/routeTables/rt' });
    world.configs.get(canonicalId(ORDERS))!.vnetRouteAllEnabled = true;
    await expect(confirmPaths(portOf(world), restrict, {})).rejects.toMatchObject({ code: 'PathChanged', message: expect.stringContaining('can no longer be told') });
  });

  it('lets the write through when the pair is closed already (someone else closed it): there is nothing to keep', async () => {
    const world = integratedCallerOpenCallee();
    const restrict = restrictOf(world);
    world.withSubnet(APPS, { delegations: ENDPOINT.delegations });
    world.configs.get(canonicalId(PAYMENTS))!.defaultAction = 'Deny';
    await expect(confirmPaths(portOf(world), restrict, {})).resolves.toBeUndefined();
  });

  it('passes a failed read on as it came, so apply retries or fails the write like any other', async () => {
    const world = integratedCallerOpenCallee();
    const port = { ...portOf(world), getVirtualNetwork: () => Promise.reject(Object.assign(new Error('busy'), { name: 'ArmError', code: 'ServiceUnavailable', retry: 'retryable' })) } as unknown as AzurePort;
    await expect(confirmPaths(port, restrictOf(world), {})).rejects.toMatchObject({ code: 'ServiceUnavailable' });
  });
});
