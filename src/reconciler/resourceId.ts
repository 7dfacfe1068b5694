/**
 * ARM resource ids: parsing and the canonical (lower-case) key used to compare them.
 * ARM treats ids case-insensitively and answers with whatever casing it stored, so every
 * comparison goes through `canonicalId`.
 */

export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup: string;
  /** Provider namespace, e.g. "Microsoft.Web". */
  provider: string;
  /** Type segments after the provider, e.g. ["virtualNetworks", "subnets"]. */
  types: string[];
  /** Name segments matching `types`, e.g. ["hub", "apps"]. */
  names: string[];
}

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/((?:[^/]+\/[^/]+)(?:\/[^/]+\/[^/]+)*)\/?$/i;

export function parseResourceId(id: string): ParsedResourceId | undefined {
  const match = RESOURCE_ID.exec(id.trim());
  if (!match) return undefined;
  const segments = match[4].split('/');
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 0; i < segments.length; i += 2) {
    types.push(segments[i]);
    names.push(segments[i + 1]);
  }
  return { subscriptionId: match[1], resourceGroup: match[2], provider: match[3], types, names };
}

export function canonicalId(id: string): string {
  const trimmed = id.trim();
  return (trimmed.endsWith('/') ? trimmed.replace(/\/+$/, '') : trimmed).toLowerCase();
}

/** The parts the SDK calls need, or an error naming the id that is not of the expected type. */
export function siteParts(siteId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const parsed = parseResourceId(siteId);
  if (!parsed || parsed.provider.toLowerCase() !== 'microsoft.web' || parsed.types.length !== 1 || parsed.types[0].toLowerCase() !== 'sites') {
    throw new Error(`not a Microsoft.Web/sites id: ${siteId}`);
  }
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.names[0] };
}

export function serverFarmParts(planId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const parsed = parseResourceId(planId);
  if (!parsed || parsed.types.length !== 1 || parsed.types[0].toLowerCase() !== 'serverfarms') {
    throw new Error(`not a Microsoft.Web/serverfarms id: ${planId}`);
  }
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.names[0] };
}

export function subnetParts(subnetId: string): {
  subscriptionId: string;
  resourceGroup: string;
  virtualNetwork: string;
  name: string;
} {
  const parsed = parseResourceId(subnetId);
  if (
    !parsed ||
    parsed.provider.toLowerCase() !== 'microsoft.network' ||
    parsed.types.length !== 2 ||
    parsed.types[0].toLowerCase() !== 'virtualnetworks' ||
    parsed.types[1].toLowerCase() !== 'subnets'
  ) {
    throw new Error(`not a Microsoft.Network/virtualNetworks/subnets id: ${subnetId}`);
  }
  return {
    subscriptionId: parsed.subscriptionId,
    resourceGroup: parsed.resourceGroup,
    virtualNetwork: parsed.names[0],
    name: parsed.names[1],
  };
}

/** The virtual network a subnet belongs to: writes to one VNet are serialized on this key. */
export function virtualNetworkOf(subnetId: string): string {
  const parts = subnetParts(subnetId);
  return canonicalId(
    `/subscriptions/${parts.subscriptionId}/resourceGroups/${parts.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${parts.virtualNetwork}`,
  );
}

/** Short human name for messages: "hub/apps", "payments-func". */
export function shortName(id: string): string {
  const parsed = parseResourceId(id);
  return parsed ? parsed.names.join('/') : id;
}
