/**
 * The rows of Resource Graph's tables, rendered from one recorded state: `resources` has sites,
 * plans and virtual networks (subnets inside), `appserviceresources` has each site's
 * config/web. Bodies are the ARM GET bodies with lower-case types and the table's extra
 * columns. Each state is rendered once (states are immutable) and linearly in its size.
 */
import { key } from '../ids';
import type { FarmRec, Rec, SiteRec, SubnetRec, VnetRec } from '../state';
import { renderFarm, renderSite, renderSiteConfig, renderVnet } from '../wire';
import type { ResourceGraphTable } from './query';

export type Row = Record<string, unknown>;
type Recs = ReadonlyMap<string, Rec>;

const TENANT_ID = '72f988bf-0000-0000-0000-000000000000';
const rendered = new WeakMap<Recs, Record<ResourceGraphTable, Row[]>>();

function row(body: Record<string, unknown>, table: ResourceGraphTable): Row {
  const id = String(body.id);
  const parts = id.split('/');
  return { ...body, type: String(body.type).toLowerCase() + (table === 'appserviceresources' ? '/web' : ''), tenantId: TENANT_ID, subscriptionId: parts[2], resourceGroup: parts[4]?.toLowerCase() };
}

function group<T>(items: T[], by: (item: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = by(item);
    if (k === undefined) continue;
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function render(recs: Recs): Record<ResourceGraphTable, Row[]> {
  const all = [...recs.values()];
  const sites = all.filter((r): r is SiteRec => r.type === 'site');
  const subnets = all.filter((r): r is SubnetRec => r.type === 'subnet');
  // Each plan and VNet is rendered from the few records it refers to, not the whole state.
  const sitesByFarm = group(sites, (site) => key(site.serverFarmId));
  const subnetsByVnet = group(subnets, (subnet) => key(subnet.vnetId));
  const vnetOfSubnet = new Map(subnets.map((subnet) => [key(subnet.id), key(subnet.vnetId)]));
  const integratedByVnet = group(sites, (site) => (site.virtualNetworkSubnetId ? vnetOfSubnet.get(key(site.virtualNetworkSubnetId)) : undefined));
  const resources: Row[] = [];
  for (const rec of all) {
    if (rec.type === 'site') resources.push(row(renderSite(recs, rec), 'resources'));
    else if (rec.type === 'farm') resources.push(row(renderFarm(new Map((sitesByFarm.get(key(rec.id)) ?? []).map((site) => [key(site.id), site])), rec as FarmRec), 'resources'));
    else if (rec.type === 'vnet') {
      const related: Rec[] = [rec, ...(subnetsByVnet.get(key(rec.id)) ?? []), ...(integratedByVnet.get(key(rec.id)) ?? [])];
      resources.push(row(renderVnet(new Map(related.map((r) => [key(r.id), r])), rec as VnetRec), 'resources'));
    }
  }
  const appserviceresources = sites.map((site) => row(renderSiteConfig(recs, site), 'appserviceresources'));
  const byId = (a: Row, b: Row) => (String(a.id).toLowerCase() < String(b.id).toLowerCase() ? -1 : 1);
  return { resources: resources.sort(byId), appserviceresources: appserviceresources.sort(byId) };
}

export function tableRows(recs: Recs, table: ResourceGraphTable): Row[] {
  let tables = rendered.get(recs);
  if (!tables) {
    tables = render(recs);
    rendered.set(recs, tables);
  }
  return tables[table];
}
