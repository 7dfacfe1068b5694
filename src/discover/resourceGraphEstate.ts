/**
 * The estate read through Resource Graph: two queries for every app, its access rules and every
 * virtual network of the subscriptions, kept to the resource groups asked for. An app whose rules
 * the rows do not hold yet is read from ARM; a refused or failing query reads the whole estate
 * from ARM instead (`fallback`). Rows lag ARM: a proposal rests on them only until `lockdown
 * plan`, whose writes ARM confirms.
 */
import type { ResourceGraphPort } from '../reconciler/azure/resourceGraphPort';
import type { Observation, ObservedSiteConfig } from '../reconciler/observed';
import type { PortCallOptions } from '../reconciler/port';
import { appOfSlot, canonicalId, parseResourceId } from '../reconciler/resourceId';
import { readSlots, unreadable, type Estate, type EstateSource } from './estate';

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
      // The rows hold slots among the sites; the estate's sites are apps, as an ARM list returns them.
      sites: [...snapshot.sites.values()].filter((site) => inScope(site.id) && !appOfSlot(site.id)).sort(byId),
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
          estate.unreadable.push(unreadable(site.id, 'access rules', error));
          observation = { status: 'unreadable', error: error as never };
        }
      }
      estate.siteConfigs.set(key, observation);
    }
    // An app the rows hold has its slot list in them too; a slot's config is read from ARM, as a tick reads it.
    const rows = {
      listSlots: (siteId: string, call?: PortCallOptions) =>
        snapshot.sites.has(canonicalId(siteId)) ? Promise.resolve(snapshot.slotsOfApp.get(canonicalId(siteId)) ?? []) : port.listSlots(siteId, call),
      getSiteConfig: (siteId: string, call?: PortCallOptions) => port.getSiteConfig(siteId, call),
    };
    await readSlots(rows, estate, options);
    return estate;
  };
}
