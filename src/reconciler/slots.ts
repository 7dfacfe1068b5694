/**
 * Deployment slots as the policies cover them: each slot of a callee becomes a callee of its own
 * (locked like the app), each slot of a `callerSlots: all` caller a caller of its own. Pure: it
 * reads only the slot lists observed this tick, so the diff, the safety proof and the status see
 * a slot exactly as they see an app.
 */
import type { ObservedState } from './observed';
import type { PlanCondition } from './plan';
import type { CalleeSpec, CallerSpec, LockdownPolicy, SlotSelection } from './policy/types';
import { shortName } from './resourceId';

/** The slot's name, lower-cased: the last segment of .../sites/{app}/slots/{slot}. */
const slotName = (slotId: string) => slotId.slice(slotId.lastIndexOf('/') + 1);

function selected(selection: SlotSelection | undefined, slotId: string): boolean {
  if (!selection || selection.kind === 'all') return true;
  return selection.kind === 'named' && selection.names.includes(slotName(slotId));
}

/** Observed slot ids of an app, with the id as ARM spells it (for messages). */
function slotsOf(observed: ObservedState, appId: string): { id: string; displayId: string }[] {
  const listed = observed.slots?.get(appId);
  if (listed?.status !== 'found') return [];
  return listed.value.map((id) => {
    const site = observed.sites.get(id);
    return { id, displayId: site?.status === 'found' ? site.value.id : id };
  });
}

export function withSlots(policies: LockdownPolicy[], observed: ObservedState): LockdownPolicy[] {
  if (!observed.slots || observed.slots.size === 0) return policies;
  return policies.map((policy) => {
    const callees: CalleeSpec[] = policy.callees.flatMap((callee) => [
      callee,
      ...slotsOf(observed, callee.id)
        .filter((slot) => selected(callee.slots, slot.id))
        .map((slot): CalleeSpec => ({ ...callee, id: slot.id, displayId: slot.displayId, slots: { kind: 'none' }, slotOf: callee.id })),
    ]);
    const listed = new Set(policy.callers.map((caller) => caller.id));
    const callers: CallerSpec[] =
      policy.callerSlots === 'all'
        ? policy.callers.flatMap((caller) => [
            caller,
            ...slotsOf(observed, caller.id)
              .filter((slot) => !listed.has(slot.id))
              .map((slot): CallerSpec => ({ ...caller, id: slot.id, displayId: slot.displayId, slotOf: caller.id })),
          ])
        : policy.callers;
    return callees.length === policy.callees.length && callers === policy.callers ? policy : { ...policy, callers, callees };
  });
}

/** An app whose slots a policy covers but whose slot list could not be read: its slots are unknown this tick, the pair is not ready. */
export function slotListConditions(policies: LockdownPolicy[], observed: ObservedState): PlanCondition[] {
  const conditions: PlanCondition[] = [];
  for (const policy of policies) {
    const apps = [
      ...policy.callees.filter((callee) => !callee.slotOf && callee.slots?.kind !== 'none'),
      ...(policy.callerSlots === 'all' ? policy.callers.filter((caller) => !caller.slotOf) : []),
    ];
    for (const app of apps) {
      const listed = observed.slots?.get(app.id);
      if (!listed || listed.status === 'found') continue;
      conditions.push({
        severity: 'error',
        reason: 'SlotsUnreadable',
        message: `the deployment slots of ${shortName(app.displayId)} could not be listed (${listed.error.code}: ${listed.error.message}): they are not locked this tick`,
        policy: policy.name,
        resourceId: app.displayId,
      });
    }
  }
  return conditions;
}
