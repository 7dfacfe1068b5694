/**
 * ARM resource ids: parsing, checking a written id against an expected resource type (with
 * a message and a hint when it does not fit), and the canonical key used to compare them.
 * ARM treats ids case-insensitively and answers with whatever casing it stored, so every
 * comparison goes through `canonicalId`: trimmed, without a trailing slash, lower-cased.
 * An id that passes `checkResourceId` has no white space and no trailing slash, so its
 * canonical form is simply its lower-cased text.
 */

import { escapeText, quoteValue } from './policy/quote';

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

/**
 * Memoized: the same id text maps to the same string object, whose hash V8 keeps, so the many
 * map lookups by canonical id in a plan do not hash a fresh copy each time.
 */
export function canonicalId(id: string): string {
  return memo(canonicalIds, id, (text) => {
    const trimmed = text.trim();
    return (trimmed.endsWith('/') ? trimmed.replace(/\/+$/, '') : trimmed).toLowerCase();
  });
}

/** The parts the SDK calls need, or an error naming the id that is not of the expected type. */
export function siteParts(siteId: string): { subscriptionId: string; resourceGroup: string; name: string } {
  const parsed = parseResourceId(siteId);
  if (!parsed || parsed.provider.toLowerCase() !== 'microsoft.web' || parsed.types.length !== 1 || parsed.types[0].toLowerCase() !== 'sites') {
    throw new Error(`not a Microsoft.Web/sites id: ${siteId}`);
  }
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.names[0] };
}

/** An app's or a deployment slot's parts: `slot` is set for .../sites/{app}/slots/{slot}. */
export function siteOrSlotParts(id: string): { subscriptionId: string; resourceGroup: string; name: string; slot?: string } {
  const parsed = parseResourceId(id);
  const isSlot = parsed?.types.length === 2 && parsed.types[0].toLowerCase() === 'sites' && parsed.types[1].toLowerCase() === 'slots';
  if (!parsed || parsed.provider.toLowerCase() !== 'microsoft.web' || !isSlot) return siteParts(id);
  return { subscriptionId: parsed.subscriptionId, resourceGroup: parsed.resourceGroup, name: parsed.names[0], slot: parsed.names[1] };
}

/** The app a deployment slot belongs to (canonical id), or undefined when the id is not a slot's. */
export function appOfSlot(id: string): string | undefined {
  const match = /^(.*\/providers\/microsoft\.web\/sites\/[^/]+)\/slots\/[^/]+$/i.exec(canonicalId(id));
  return match?.[1];
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

/** Short human name for messages: "hub/apps", "payments-func", "payments-func/staging" (a slot). */
export function shortName(id: string): string {
  return memo(shortNames, id, (text) => {
    const parsed = parseResourceId(text);
    return parsed ? parsed.names.join('/') : text;
  });
}

/** The resource's names joined by "-" ("hub-apps"), or undefined for what is not a resource id. */
export function dashedName(id: string): string | undefined {
  return memo(dashedNames, id, (text) => parseResourceId(text)?.names.join('-'));
}

/**
 * Plans, messages and rule names name the same few thousand resources every tick: each id is
 * parsed once per process (bounded, so a long-lived host does not grow without end).
 */
const canonicalIds = new Map<string, string>();
const shortNames = new Map<string, string>();
const dashedNames = new Map<string, string | undefined>();
const MEMO_LIMIT = 100_000;

function memo<V>(cache: Map<string, V>, key: string, compute: (key: string) => V): V {
  const known = cache.get(key);
  if (known !== undefined || cache.has(key)) return known as V;
  if (cache.size >= MEMO_LIMIT) cache.clear();
  const value = compute(key);
  cache.set(key, value);
  return value;
}

// ---------------------------------------------------------------------------------------
// Checking a written id, for the policy format

/** An ARM resource type ids are checked against (the policy format's are in policy/schema.ts). */
export interface ResourceIdShape {
  /** e.g. "Microsoft.Web/sites", for messages. */
  label: string;
  /** What the resource is, for messages: "an App Service or Function app". */
  noun: string;
  provider: string;
  /** Resource type segments: ["sites"] or ["virtualNetworks", "subnets"]. */
  types: readonly string[];
  /** Regex source for each name segment, in the order of `types`. */
  namePatterns: readonly string[];
  /** What each name segment names, for messages: ["virtual network", "subnet"]. */
  nameLabels: readonly string[];
  /** What a valid name looks like, for messages, in the order of `types`. */
  nameRules: readonly string[];
  template: string;
}

export const GUID_PATTERN = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
/** Resource group names: letters, digits, '_', '-', '.', '(' and ')', up to 90, not ending in '.'. */
export const RESOURCE_GROUP_PATTERN = '[-\\w.()]{0,89}[-\\w()]';

export type ResourceIdCheck =
  | { ok: true; canonical: string; names: string[] }
  | { ok: false; message: string; hint?: string };

const GUID = new RegExp(`^${GUID_PATTERN}$`);
const RESOURCE_GROUP = new RegExp(`^${RESOURCE_GROUP_PATTERN}$`);

export function checkResourceId(text: string, shape: ResourceIdShape): ResourceIdCheck {
  const expected = `write the id of ${shape.noun}: ${shape.template}`;
  const fail = (message: string, hint = expected): ResourceIdCheck => ({ ok: false, message, hint });

  if (text.trim() === '') return fail('the resource id is empty');
  if (/\s/.test(text)) return fail(`the resource id ${quoteValue(text)} contains white space`, 'remove the spaces');
  if (!text.startsWith('/')) {
    return fail(`${quoteValue(text)} is not an ARM resource id (it must start with /subscriptions/)`);
  }
  if (text.length > 1 && text.endsWith('/')) {
    return fail(`the resource id ends with '/'`, 'remove the trailing slash');
  }
  const segments = text.slice(1).split('/');
  if (segments.some((segment) => segment === '')) {
    return fail(`the resource id has an empty segment ('//')`, 'remove the doubled slash');
  }
  const keyword = (index: number, word: string): boolean => segments[index]?.toLowerCase() === word.toLowerCase();

  if (!keyword(0, 'subscriptions')) return fail(`the resource id must start with /subscriptions/`);
  if (segments.length < 2) return fail('the resource id has no subscription id');
  if (!GUID.test(segments[1])) {
    return fail(
      `the subscription id ${quoteValue(segments[1])} is not a GUID`,
      'a subscription id looks like 11111111-1111-1111-1111-111111111111',
    );
  }
  if (!keyword(2, 'resourceGroups')) {
    return fail(`expected /resourceGroups/ after the subscription id, got ${quoteValue(segments[2] ?? '')}`);
  }
  if (segments.length < 4) return fail('the resource id has no resource group name');
  if (!RESOURCE_GROUP.test(segments[3])) {
    return fail(
      `invalid resource group name ${quoteValue(segments[3])}`,
      "resource group names are 1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'",
    );
  }
  if (segments.length === 4) return fail(`this is the id of a resource group, not of ${shape.noun}`);
  if (!keyword(4, 'providers')) return fail(`expected /providers/ after the resource group, got ${quoteValue(segments[4])}`);
  if (segments.length < 8 || segments.length % 2 !== 0) {
    return fail('the resource id is incomplete: after /providers/ come the namespace, then type/name pairs');
  }

  const namespace = segments[5];
  const types: string[] = [];
  const names: string[] = [];
  for (let i = 6; i < segments.length; i += 2) {
    types.push(segments[i]);
    names.push(segments[i + 1]);
  }
  const sameType =
    namespace.toLowerCase() === shape.provider.toLowerCase() &&
    types.length === shape.types.length &&
    types.every((type, i) => type.toLowerCase() === shape.types[i].toLowerCase());
  if (!sameType) {
    const actual = `${namespace}/${types.join('/')}`;
    if (actual.toLowerCase() === 'microsoft.web/sites/slots') {
      return fail('a callee is an app, not one of its slots', 'name the app and drop /slots/<slot>: its slots are locked with it (see `slots`)');
    }
    return fail(`expected the id of ${shape.noun} (${shape.label}), got a ${escapeText(actual, 60)} id`);
  }
  for (let i = 0; i < names.length; i++) {
    if (!new RegExp(`^${shape.namePatterns[i]}$`).test(names[i])) {
      return fail(`invalid ${shape.nameLabels[i]} name ${quoteValue(names[i])}`, `${shape.nameLabels[i]} names are ${shape.nameRules[i]}`);
    }
  }
  return { ok: true, canonical: canonicalId(text), names };
}

/** The last name in an id ("payments-func"), to keep messages short. */
export function resourceName(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}
