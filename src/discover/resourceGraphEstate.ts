/**
 * The estate read through Resource Graph: two queries for every app, its access rules and every
 * virtual network of the subscriptions, kept to the resource groups asked for. An app whose rules
 * the rows do not hold yet is read from ARM; a refused or failing query reads the whole estate
 * from ARM instead (`fallback`). Rows lag ARM: a proposal rests on them only until `lockdown
 * plan`, whose writes ARM confirms.
 */
import type { ResourceGraphPort } from '../reconciler/azure/resourceGraphPort';
import type { Observation, ObservedSiteConfig } from '../reconciler/observed';
import { canonicalId, parseResourceId } from '../reconciler/resourceId';
import type { Estate, EstateSource } from './estate';

export function resourceGraphEstateSource(port: ResourceGraphPort, fallback: EstateSource): EstateSource {
  return async (scope, options = {}) => {
    let snapshot;
    try {
      snapshot = await port.readSubscriptions(scope.subscriptions, options);
    } catch {
      return fallback(scope, options);
    }
    const groups = new Set(scope.resourceGroups.map((group) => group.toLowerCase()));
    const inScope = (id: string) => groups.size === 0 || groups.has(parseResourceId(id)?.resourceGroup.toLowerCase() ?? '');
    const byId = (a: { id: string }, b: { id: string }) => canonicalId(a.id).localeCompare(canonicalId(b.id));
    const estate: Estate = {
      sites: [...snapshot.sites.values()].filter((site) => inScope(site.id)).sort(byId),
      siteConfigs: new Map(),
      virtualNetworks: [...snapshot.virtualNetworks.values()].filter((vnet) => inScope(vnet.id)).sort(byId),
      unreadable: [],
    };
    for (const site of estate.sites) {
      const key = canonicalId(site.id);
      const config = snapshot.siteConfigs.get(key);
      let observation: Observation<ObservedSiteConfig>;
      if (config) observation = { status: 'found', value: config };
      else {
        try {
          observation = { status: 'found', value: await port.getSiteConfig(site.id, options) };
        } catch (error) {
          const armError = error as { code?: string; statusCode?: number; message?: string };
          estate.unreadable.push({ resourceId: site.id, what: 'access rules', code: armError.code ?? 'UnexpectedError', statusCode: armError.statusCode, message: armError.message ?? String(error) });
          observation = { status: 'unreadable', error: error as never };
        }
      }
      estate.siteConfigs.set(key, observation);
    }
    return estate;
  };
}
