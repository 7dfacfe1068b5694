/** Service-endpoint traffic arrives on the public endpoint: access restrictions only work with it on. */
import type { ObservedSite } from '../observed';
import type { LockdownPolicy } from '../policy/types';
import { shortName } from '../resourceId';
import { addDraft, names, type Blocker, type DiffContext } from './context';

/** Whether an action was planned. */
export function diffPublicAccess(context: DiffContext, displayId: string, site: ObservedSite, policies: LockdownPolicy[], blocker: Blocker | undefined): boolean {
  if (site.publicNetworkAccess !== 'Disabled') return false;
  addDraft(context, {
    kind: 'callee.enablePublicAccess',
    verb: 'update',
    resourceId: displayId,
    policies: names(policies),
    changes: [{ aspect: 'publicAccess', field: 'publicNetworkAccess', symbol: '~', before: 'Disabled', after: 'Enabled' }],
    write: { operation: 'updateSiteConfig', siteId: displayId, patch: { publicNetworkAccess: 'Enabled' } },
    blocker,
  });
  return true;
}
