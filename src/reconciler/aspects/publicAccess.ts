/** Service-endpoint traffic arrives on the public endpoint: access restrictions only work with it on. */
import type { AccessRule, ObservedSite } from '../observed';
import type { LockdownPolicy } from '../policy/types';
import { shortName } from '../resourceId';
import { addDraft, names, type Blocker, type DiffContext } from './context';

/**
 * Whether an action was planned. `restrictedRules` are the rules the callee has once its
 * restrict write ran: turning public access on is refused if they, or the default Deny,
 * changed by then (someone opening the callee meanwhile must not be published).
 */
export function diffPublicAccess(context: DiffContext, displayId: string, site: ObservedSite, policies: LockdownPolicy[], restrictedRules: AccessRule[], blocker: Blocker | undefined): boolean {
  if (site.publicNetworkAccess !== 'Disabled') return false;
  addDraft(context, {
    kind: 'callee.enablePublicAccess',
    verb: 'update',
    resourceId: displayId,
    policies: names(policies),
    changes: [{ aspect: 'publicAccess', field: 'publicNetworkAccess', symbol: '~', before: 'Disabled', after: 'Enabled' }],
    write: { operation: 'updateSiteConfig', siteId: displayId, patch: { publicNetworkAccess: 'Enabled' }, expected: { accessRules: restrictedRules, defaultAction: 'Deny' } },
    blocker,
  });
  return true;
}
