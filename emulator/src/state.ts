/**
 * In-memory resource store and history of states.
 *
 * Records are immutable once stored: a write stores a new object (see `update`), so a history entry
 * is a cheap copy of the key -> record map that shares unchanged records with its neighbours.
 */
import { clone, key } from './ids';

export interface Ref {
  id: string;
}

export interface FarmRec {
  type: 'farm';
  id: string;
  resourceGroup: string;
  name: string;
  location: string;
  kind: string;
  sku: { name: string; tier: string; size?: string; family?: string; capacity?: number };
}

export interface OutboundVnetRouting {
  allTraffic: boolean;
  applicationTraffic: boolean;
  contentShareTraffic: boolean;
  imagePullTraffic: boolean;
  backupRestoreTraffic: boolean;
}

export interface SiteRec {
  type: 'site';
  id: string;
  resourceGroup: string;
  name: string;
  location: string;
  kind: string;
  serverFarmId: string;
  publicNetworkAccess?: string;
  virtualNetworkSubnetId?: string;
  outboundVnetRouting: OutboundVnetRouting;
  httpsOnly: boolean;
  enabled: boolean;
  tags?: Record<string, string>;
  /** SiteConfig properties as stored: no implicit rules, without the derived vnetRouteAllEnabled/publicNetworkAccess/vnetName */
  config: Record<string, unknown>;
  lastModifiedTimeUtc: string;
  customDomainVerificationId: string;
  outboundIpAddresses: string;
  possibleOutboundIpAddresses: string;
  /** A deployment slot (sites/{name}/slots/{slot}): its name and its app's id. A slot has its own config and VNet integration. */
  slot?: { name: string; appId: string };
}

export interface VnetRec {
  type: 'vnet';
  id: string;
  resourceGroup: string;
  name: string;
  location: string;
  addressPrefixes: string[];
  etag: string;
  resourceGuid: string;
  /** subnet names in creation order */
  subnetNames: string[];
  tags?: Record<string, string>;
}

export interface SubnetProps {
  addressPrefix?: string;
  addressPrefixes?: string[];
  networkSecurityGroup?: Ref;
  routeTable?: Ref;
  natGateway?: Ref;
  serviceEndpoints: { service: string; locations: string[] }[];
  serviceEndpointPolicies?: Ref[];
  delegations: { name: string; serviceName: string }[];
  privateEndpointNetworkPolicies: string;
  privateLinkServiceNetworkPolicies: string;
  defaultOutboundAccess?: boolean;
  sharingScope?: string;
}

export interface SubnetRec {
  type: 'subnet';
  id: string;
  vnetId: string;
  name: string;
  props: SubnetProps;
  etag: string;
  provisioningState: 'Succeeded' | 'Updating' | 'Failed';
}

export type Rec = FarmRec | SiteRec | VnetRec | SubnetRec;

export interface HistoryEntry {
  seq: number;
  time: string;
  cause: string;
  resources: ReadonlyMap<string, Rec>;
}

type Recs = ReadonlyMap<string, Rec>;

/**
 * The sites of each plan and of each integration subnet, by the key of the plan's or subnet's id
 * (computed once per stored site), so rendering a plan or subnet reads only its own sites.
 * Lists come in the order of the state map, as a scan of it would give them.
 */
export class SiteIndex {
  private readonly byFarm = new Map<string, SiteList>();
  private readonly bySubnet = new Map<string, SiteList>();
  /** each site's place in the state map's order */
  private readonly position = new Map<string, number>();
  private nextPosition = 0;

  constructor(recs: Iterable<Rec> = []) {
    for (const rec of recs) this.put(undefined, rec);
  }

  /** `rec` replaces `previous` (the record stored under the same key, if any) */
  put(previous: Rec | undefined, rec: Rec): void {
    if (previous) this.unlist(previous);
    if (rec.type !== 'site') return;
    const siteKey = key(rec.id);
    let place = this.position.get(siteKey);
    if (place === undefined) this.position.set(siteKey, (place = this.nextPosition++));
    listIn(this.byFarm, key(rec.serverFarmId), siteKey, { site: rec, place });
    if (rec.virtualNetworkSubnetId) listIn(this.bySubnet, key(rec.virtualNetworkSubnetId), siteKey, { site: rec, place });
  }

  /** `rec` is no longer stored */
  remove(rec: Rec): void {
    this.unlist(rec);
    this.position.delete(key(rec.id));
  }

  /** the sites and slots on the plan */
  onPlan(farmId: string): SiteRec[] {
    return this.inOrder(this.byFarm.get(key(farmId)));
  }

  /** the sites and slots integrated into the subnet */
  inSubnet(subnetId: string): SiteRec[] {
    return this.inOrder(this.bySubnet.get(key(subnetId)));
  }

  private unlist(rec: Rec): void {
    if (rec.type !== 'site') return;
    const siteKey = key(rec.id);
    unlistFrom(this.byFarm, key(rec.serverFarmId), siteKey);
    if (rec.virtualNetworkSubnetId) unlistFrom(this.bySubnet, key(rec.virtualNetworkSubnetId), siteKey);
  }

  private inOrder(list: SiteList | undefined): SiteRec[] {
    return list ? [...list.values()].sort((a, b) => a.place - b.place).map((entry) => entry.site) : [];
  }
}

/** site key -> the site and its place in the state map's order */
type SiteList = Map<string, { site: SiteRec; place: number }>;

function listIn(lists: Map<string, SiteList>, listKey: string, siteKey: string, entry: { site: SiteRec; place: number }): void {
  const list = lists.get(listKey);
  if (list) list.set(siteKey, entry);
  else lists.set(listKey, new Map([[siteKey, entry]]));
}

function unlistFrom(lists: Map<string, SiteList>, listKey: string, siteKey: string): void {
  const list = lists.get(listKey);
  list?.delete(siteKey);
  if (list && !list.size) lists.delete(listKey);
}

/** The store keeps the index of its live state up to date; any other state map (history, Resource Graph's) is indexed once, when first asked. */
const siteIndexes = new WeakMap<Recs, SiteIndex>();

export function siteIndexOf(recs: Recs): SiteIndex {
  let index = siteIndexes.get(recs);
  if (!index) {
    index = new SiteIndex(recs.values());
    siteIndexes.set(recs, index);
  }
  return index;
}

export class Store {
  subscriptionId = '11111111-1111-1111-1111-111111111111';
  /** lower-case resource group name -> name as seeded */
  resourceGroups = new Map<string, string>();
  private recs = new Map<string, Rec>();
  private index = siteIndexOf(this.recs);
  private hist: HistoryEntry[] = [];
  private seq = 0;

  constructor(private historyLimit = 10000) {}

  reset(subscriptionId: string, resourceGroups: string[], recs: Rec[]): void {
    this.subscriptionId = subscriptionId;
    this.resourceGroups = new Map(resourceGroups.map((rg) => [rg.toLowerCase(), rg]));
    this.recs = new Map(recs.map((rec) => [key(rec.id), rec]));
    this.index = siteIndexOf(this.recs);
    this.hist = [];
    this.seq = 0;
    this.snapshot('seed');
  }

  get<T extends Rec>(id: string, type: T['type']): T | undefined {
    const rec = this.recs.get(key(id));
    return rec && rec.type === type ? (rec as T) : undefined;
  }

  all<T extends Rec>(type: T['type'], from: ReadonlyMap<string, Rec> = this.recs): T[] {
    return [...from.values()].filter((rec): rec is T => rec.type === type);
  }

  /** store a new version of a record (never mutate a stored one) */
  put(rec: Rec): void {
    const recKey = key(rec.id);
    this.index.put(this.recs.get(recKey), rec);
    this.recs.set(recKey, rec);
  }

  /** drop a record (a deleted resource) */
  remove(id: string): void {
    const recKey = key(id);
    const rec = this.recs.get(recKey);
    if (rec) this.index.remove(rec);
    this.recs.delete(recKey);
  }

  /** copy, change and store a record; returns the new version */
  update<T extends Rec>(rec: T, change: (draft: T) => void): T {
    const draft = clone(rec);
    change(draft);
    this.put(draft);
    return draft;
  }

  current(): ReadonlyMap<string, Rec> {
    return this.recs;
  }

  /** record the current state in the history */
  snapshot(cause: string): void {
    this.hist.push({ seq: this.seq++, time: new Date().toISOString(), cause, resources: new Map(this.recs) });
    if (this.hist.length > this.historyLimit) this.hist.splice(0, this.hist.length - this.historyLimit);
  }

  history(): readonly HistoryEntry[] {
    return this.hist;
  }

  latest(): HistoryEntry {
    return this.hist[this.hist.length - 1];
  }
}
