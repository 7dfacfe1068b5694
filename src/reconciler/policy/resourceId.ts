/**
 * ARM resource id checks against the shapes declared in schema.ts. ARM compares ids
 * case-insensitively, so the canonical form is the lower-cased id.
 */

import { escapeText, quoteValue } from './quote';
import { GUID_PATTERN, RESOURCE_GROUP_PATTERN } from './schema';
import type { ResourceIdShape } from './schema';

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
  return { ok: true, canonical: text.toLowerCase(), names };
}

/** The last name in an id ("payments-func"), to keep messages short. */
export function resourceName(id: string): string {
  return id.slice(id.lastIndexOf('/') + 1);
}
