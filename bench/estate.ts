/**
 * The estate the benchmarks run on: ten callers share a plan and a subnet (ARM allows one plan per
 * integration subnet), each caller has its own callee. `locked`: every pair as Lockdown leaves it;
 * `slotsPerCallee`: deployment slots on each callee.
 */
import type { Topology } from '../emulator/src/types';

export const SUB = '11111111-1111-1111-1111-111111111111';
export const subnetId = (index: number) => `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps-${Math.floor(index / 10)}`;

export function benchTopology(pairs: number, options: { locked?: boolean; slotsPerCallee?: number } = {}): Topology {
  const { locked = false, slotsPerCallee = 0 } = options;
  const groups = Math.ceil(pairs / 10);
  return {
    subscriptionId: SUB,
    serverFarms: Array.from({ length: groups }, (_, index) => ({ resourceGroup: 'web', name: `plan-${index}`, location: 'westeurope', sku: { name: 'P1v3', tier: 'PremiumV3' } })),
    sites: Array.from({ length: pairs }, (_, index) => [
      { resourceGroup: 'web', name: `caller-${index}`, location: 'westeurope', kind: 'app', serverFarm: `plan-${Math.floor(index / 10)}`, ...(locked ? { virtualNetworkSubnetId: subnetId(index) } : {}) },
      {
        resourceGroup: 'fn',
        name: `callee-${index}`,
        location: 'westeurope',
        kind: 'functionapp',
        serverFarm: `plan-${Math.floor(index / 10)}`,
        ...(slotsPerCallee > 0 ? { slots: Array.from({ length: slotsPerCallee }, (_, slot) => ({ name: `slot-${slot}` })) } : {}),
        ...(locked
          ? { config: { ipSecurityRestrictions: [{ name: `ld-hub-apps-${Math.floor(index / 10)}`, description: `lockdown:pair-${index}`, action: 'Allow', priority: 100, vnetSubnetResourceId: subnetId(index) }], ipSecurityRestrictionsDefaultAction: 'Deny' as const, scmIpSecurityRestrictionsUseMain: true } }
          : {}),
      },
    ]).flat(),
    virtualNetworks: [
      {
        resourceGroup: 'net',
        name: 'hub',
        location: 'westeurope',
        addressPrefixes: ['10.0.0.0/8'],
        subnets: Array.from({ length: groups }, (_, index) => ({
          name: `apps-${index}`,
          addressPrefix: `10.${Math.floor(index / 256)}.${index % 256}.0/24`,
          ...(locked ? { serviceEndpoints: [{ service: 'Microsoft.Web' }], delegations: [{ name: 'web', serviceName: 'Microsoft.Web/serverFarms' }] } : {}),
        })),
      },
    ],
  };
}
