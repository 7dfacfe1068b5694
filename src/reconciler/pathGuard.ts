/**
 * The path guard: the safety proof (safety.ts) holds on the state observed as the tick began,
 * but a portal edit during the tick can change where a caller's calls come from (its subnet's
 * Microsoft.Web endpoint removed, its integration dropped). So right before a write that could
 * close a declared pair's path, apply reads again what that path depends on: the caller's site
 * (integration, outbound addresses) and config (route-all), the virtual network of the subnet
 * it is integrated with now, the callee's site (public access) and config (rules). On what is
 * there now, a pair that is open must stay open once the write is made; a pair whose path
 * cannot be told (a route table, a resource gone) refuses the write too. A refusal is a
 * PathChanged error (412, retried by the next tick on a fresh observation).
 *
 * What stays: a change landing between these reads and the write itself is not seen (ARM has no
 * transaction across resources, and site config has no etag). The reads and the write share one
 * correlation id, so ARM's logs and the Activity Log show them together.
 */
import { ArmError } from './armError';
import type { Observation, ObservedState } from './observed';
import type { GuardedPair, PlannedAction } from './plan';
import type { AzurePort, PortCallOptions } from './port';
import { applyWrite, networkOf, reachable } from './reachability';
import { canonicalId, shortName, virtualNetworkOf } from './resourceId';

/** Throws PathChanged when the write would now close a guarded pair's path; read failures throw as they came. */
export async function confirmPaths(port: AzurePort, action: PlannedAction, options: PortCallOptions): Promise<void> {
  const pairs = action.pathGuard ?? [];
  if (pairs.length === 0) return;
  const now = await readPaths(port, pairs, subnetOf(action), options);
  const after = applyWrite(now, action.write);
  for (const pair of pairs) {
    const [callerId, calleeId] = [canonicalId(pair.callerId), canonicalId(pair.calleeId)];
    const open = reachable(now, callerId, calleeId);
    if (open === false || reachable(after, callerId, calleeId) === true) continue;
    const path = `caller ${shortName(pair.callerId)} → callee ${shortName(pair.calleeId)}`;
    const why = open === undefined ? `whether ${path} stays open can no longer be told` : `it would now cut off ${path}`;
    throw new ArmError(`${action.kind} on ${shortName(action.resourceId)}: not written; the path changed after it was observed and ${why}`, 'PathChanged', 412, 'slow', action.resourceId);
  }
}

/** The subnet a write moves callers onto, whose state decides where their calls come from after it. */
function subnetOf(action: PlannedAction): string[] {
  const { write } = action;
  return write.operation === 'connectSiteToSubnet' || write.operation === 'putSubnet' ? [canonicalId(write.subnetId)] : [];
}

/** The reachability model of what the guarded pairs depend on, read now (each resource once). */
async function readPaths(port: AzurePort, pairs: GuardedPair[], written: string[], options: PortCallOptions): Promise<ReturnType<typeof networkOf>> {
  const state: ObservedState = { subnets: new Map(), sites: new Map(), siteConfigs: new Map(), plans: new Map(), observedAt: new Date(0).toISOString() };
  const sites = [...new Map(pairs.flatMap((pair) => [pair.callerId, pair.calleeId]).map((id) => [canonicalId(id), id])).values()];
  await Promise.all(
    sites.map(async (id) => {
      const [site, config] = await Promise.all([port.getSite(id, options), port.getSiteConfig(id, options)]);
      state.sites.set(canonicalId(id), found(site));
      state.siteConfigs.set(canonicalId(id), found(config));
    }),
  );
  const callers = [...new Set(pairs.map((pair) => canonicalId(pair.callerId)))];
  const subnets = callers.map((id) => state.sites.get(id)).flatMap((site) => (site?.status === 'found' && site.value.integrationSubnetId ? [site.value.integrationSubnetId] : []));
  const virtualNetworks = [...new Set([...subnets, ...written].map(virtualNetworkOf))];
  for (const vnet of await Promise.all(virtualNetworks.map((id) => port.getVirtualNetwork(id, options)))) {
    for (const subnet of vnet.subnets) state.subnets.set(canonicalId(subnet.id), found(subnet));
  }
  return networkOf(state, callers, pairs.map((pair) => canonicalId(pair.calleeId)));
}

function found<T>(value: T): Observation<T> {
  return { status: 'found', value };
}
