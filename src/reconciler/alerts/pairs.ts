/** Pair keys and names, shared by events, status, history and the CLI. */
import { canonicalId, shortName } from '../resourceId';
import type { PairRef } from './types';

/** Stable key of a pair: canonical caller and callee ids. */
export function pairKey(pair: Pick<PairRef, 'caller' | 'callee'>): string {
  return `${canonicalId(pair.caller)}>${canonicalId(pair.callee)}`;
}

/** "orders-web→payments-func". */
export function pairName(pair: Pick<PairRef, 'caller' | 'callee'>): string {
  return `${shortName(pair.caller)}→${shortName(pair.callee)}`;
}

/**
 * Does `query` name this pair? Accepts "caller→callee" or "caller->callee" with short names
 * or full ids, case-insensitively.
 */
export function matchesPair(query: string, pair: Pick<PairRef, 'caller' | 'callee'>): boolean {
  const parts = query.split(/→|->|>/).map((part) => part.trim()).filter(Boolean);
  if (parts.length !== 2) return false;
  const same = (given: string, id: string) => canonicalId(given) === canonicalId(id) || given.toLowerCase() === shortName(id).toLowerCase();
  return same(parts[0], pair.caller) && same(parts[1], pair.callee);
}
