/** Resource id helpers, locations and small utilities shared by the emulator modules. */
import { createHash, randomUUID } from 'node:crypto';

export const TENANT_ID = '72f988bf-0000-4000-8000-00000000e1e1';

export const key = (id: string): string => id.toLowerCase().replace(/\/+$/, '');

export const siteId = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/sites/${name}`;
export const farmId = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Web/serverfarms/${name}`;
export const vnetId = (sub: string, rg: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
export const subnetId = (sub: string, rg: string, vnet: string, name: string) => `${vnetId(sub, rg, vnet)}/subnets/${name}`;

export interface ParsedSubnetId {
  subscriptionId: string;
  resourceGroup: string;
  vnet: string;
  subnet: string;
}

export function parseSubnetId(id: string): ParsedSubnetId | undefined {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)\/?$/i.exec(
      id ?? '',
    );
  return m ? { subscriptionId: m[1], resourceGroup: m[2], vnet: m[3], subnet: m[4] } : undefined;
}

export function parseResourceId(id: string): { subscriptionId: string; resourceGroup?: string; provider?: string; types: string[]; names: string[] } | undefined {
  const m = /^\/subscriptions\/([^/]+)(?:\/resourceGroups\/([^/]+))?(?:\/providers\/([^/]+)((?:\/[^/]+\/[^/]+)+))?\/?$/i.exec(id ?? '');
  if (!m) return undefined;
  const rest = (m[4] ?? '').split('/').filter(Boolean);
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < rest.length; i += 2) {
    types.push(rest[i]);
    names.push(rest[i + 1]);
  }
  return { subscriptionId: m[1], resourceGroup: m[2], provider: m[3], types, names };
}

/** the resource group segment of an id */
export const rgOf = (id: string): string | undefined => /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];

// ---------------------------------------------------------------- locations
const DISPLAY: Record<string, string> = {
  westeurope: 'West Europe',
  northeurope: 'North Europe',
  eastus: 'East US',
  eastus2: 'East US 2',
  westus: 'West US',
  westus2: 'West US 2',
  westus3: 'West US 3',
  centralus: 'Central US',
  northcentralus: 'North Central US',
  southcentralus: 'South Central US',
  westcentralus: 'West Central US',
  canadacentral: 'Canada Central',
  brazilsouth: 'Brazil South',
  uksouth: 'UK South',
  ukwest: 'UK West',
  francecentral: 'France Central',
  germanywestcentral: 'Germany West Central',
  swedencentral: 'Sweden Central',
  switzerlandnorth: 'Switzerland North',
  norwayeast: 'Norway East',
  australiaeast: 'Australia East',
  japaneast: 'Japan East',
  southeastasia: 'Southeast Asia',
  eastasia: 'East Asia',
  centralindia: 'Central India',
};
const PAIRED: Record<string, string> = {
  westeurope: 'northeurope',
  northeurope: 'westeurope',
  eastus: 'westus',
  westus: 'eastus',
  eastus2: 'centralus',
  centralus: 'eastus2',
  uksouth: 'ukwest',
  ukwest: 'uksouth',
  swedencentral: 'swedensouth',
  francecentral: 'francesouth',
  germanywestcentral: 'germanynorth',
};

/** "West Europe" / "westeurope" / "WestEurope" -> "westeurope" */
export const normalizeLocation = (l: string): string => (l ?? '').toLowerCase().replace(/\s+/g, '');
/** Microsoft.Web answers with display names ("West Europe"), Microsoft.Network with short names. */
export const displayLocation = (l: string): string => DISPLAY[normalizeLocation(l)] ?? l;
export const pairedLocation = (l: string): string | undefined => PAIRED[normalizeLocation(l)];

// ---------------------------------------------------------------- misc
export const uuid = (): string => randomUUID();

/** deterministic GUID from a string (object ids for named callers) */
export function stableGuid(s: string): string {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const etag = (): string => `W/"${randomUUID()}"`;

export const clone = <T>(v: T): T => (v === undefined ? v : structuredClone(v));

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const eqi = (a: string | undefined | null, b: string | undefined | null): boolean =>
  (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/** a JSON object (not an array, not null) */
export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `value[field]` when value is an object and the field a string */
export function stringField(value: unknown, field: string): string | undefined {
  const found = isObject(value) ? value[field] : undefined;
  return typeof found === 'string' ? found : undefined;
}

// ---------------------------------------------------------------- IPv4 CIDR
export interface Cidr {
  base: number;
  bits: number;
}

export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export const formatIpv4 = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec((s ?? '').trim());
  if (!m) return undefined;
  const base = parseIpv4(m[1]);
  const bits = Number(m[2]);
  if (base === undefined || bits > 32) return undefined;
  return { base, bits };
}

const blockSize = (c: Cidr) => 2 ** (32 - c.bits);
/** the network address for the prefix length (10.0.0.5/24 -> 10.0.0.0) */
export const networkOf = (c: Cidr): number => c.base - (c.base % blockSize(c));
export const cidrContains = (outer: Cidr, inner: Cidr): boolean =>
  inner.bits >= outer.bits && networkOf(inner) >= networkOf(outer) && networkOf(inner) + blockSize(inner) <= networkOf(outer) + blockSize(outer);
export const cidrOverlaps = (a: Cidr, b: Cidr): boolean =>
  networkOf(a) < networkOf(b) + blockSize(b) && networkOf(b) < networkOf(a) + blockSize(a);

/** a literal IP / CIDR as App Service accepts it in ipAddress (IPv4, IPv6, with or without prefix) */
export function isIpOrCidr(s: string): boolean {
  const v = (s ?? '').trim();
  if (/^[0-9a-f:]+(\/\d{1,3})?$/i.test(v) && v.includes(':')) return true;
  const [ip, bits] = v.split('/');
  if (parseIpv4(ip) === undefined) return false;
  return bits === undefined || (/^\d{1,2}$/.test(bits) && Number(bits) <= 32);
}
