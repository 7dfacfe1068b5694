/** The subnet aspect: the Microsoft.Web service endpoint and the serverFarms delegation. */
import type { ObservedSubnet } from '../observed';
import type { FieldChange } from '../plan';
import type { LockdownPolicy } from '../policy/types';
import { APP_SERVICE_ENDPOINT, hasWebEndpoint } from '../reachability';
import { shortName, virtualNetworkOf } from '../resourceId';
import { addCondition, addDraft, names, unavailable, type DiffContext } from './context';

export const APP_SERVICE_DELEGATION = 'Microsoft.Web/serverFarms';
export const APP_SERVICE_DELEGATION_NAME = 'Microsoft.Web.serverFarms';

export function diffSubnet(context: DiffContext, subnetId: string, policies: LockdownPolicy[]): void {
  const displayId = policies[0].subnetDisplayId;
  const observation = context.observed.subnets.get(subnetId);
  if (observation?.status !== 'found') {
    const blocker = unavailable('Subnet', displayId, observation);
    addCondition(context, 'error', blocker, policies, displayId);
    context.subnetBlockers.set(subnetId, blocker);
    return;
  }
  const subnet = observation.value;
  const otherDelegation = subnet.delegations.find((delegation) => delegation.serviceName.toLowerCase() !== APP_SERVICE_DELEGATION.toLowerCase());
  if (otherDelegation) {
    const blocker = {
      reason: 'SubnetDelegatedElsewhere',
      message: `subnet ${shortName(displayId)} is delegated to ${otherDelegation.serviceName}; Lockdown does not take over another service's delegation`,
    };
    addCondition(context, 'error', blocker, policies, displayId);
    context.subnetBlockers.set(subnetId, blocker);
    return;
  }
  const { changes, body } = subnetChanges(subnet);
  if (changes.length === 0) {
    context.unchanged.push(displayId);
    return;
  }
  addDraft(context, {
    kind: 'subnet.enableAppServiceAccess',
    verb: 'update',
    resourceId: displayId,
    policies: names(policies),
    changes,
    serializeOn: virtualNetworkOf(subnetId),
    write: { operation: 'putSubnet', subnetId: displayId, body, ifMatch: subnet.etag },
  });
}

/** The subnet as observed (every field kept) with the endpoint and delegation added. */
function subnetChanges(subnet: ObservedSubnet): { changes: FieldChange[]; body: Record<string, unknown> } {
  const changes: FieldChange[] = [];
  const body = { ...subnet.body };
  if (!hasWebEndpoint(subnet.serviceEndpoints)) {
    changes.push({ aspect: 'serviceEndpoint', field: `serviceEndpoints[${APP_SERVICE_ENDPOINT}]`, symbol: '+', after: APP_SERVICE_ENDPOINT });
    body.serviceEndpoints = [...((body.serviceEndpoints as unknown[]) ?? []), { service: APP_SERVICE_ENDPOINT }];
  }
  if (subnet.delegations.length === 0) {
    changes.push({ aspect: 'delegation', field: `delegations[${APP_SERVICE_DELEGATION}]`, symbol: '+', after: APP_SERVICE_DELEGATION });
    body.delegations = [...((body.delegations as unknown[]) ?? []), { name: APP_SERVICE_DELEGATION_NAME, serviceName: APP_SERVICE_DELEGATION }];
  }
  return { changes, body };
}
