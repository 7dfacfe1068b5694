import type { ObservedState } from '../../src/reconciler/observed';
import type { SlotSelection } from '../../src/reconciler/policy/types';
import { withSlots } from '../../src/reconciler/slots';
import { ORDERS, PAYMENTS, policy } from '../support/world';

const slotOf = (app: string, name: string) => `${app}/slots/${name}`.toLowerCase();
const found = <T>(value: T) => ({ status: 'found' as const, value });

function observedWithSlots(slots: Record<string, string[]>): ObservedState {
  const state: ObservedState = { subnets: new Map(), sites: new Map(), siteConfigs: new Map(), plans: new Map(), slots: new Map(), observedAt: '2026-12-01T00:00:00Z' };
  for (const [app, names] of Object.entries(slots)) {
    state.slots!.set(app.toLowerCase(), found(names.map((name) => slotOf(app, name))));
    for (const name of names) state.sites.set(slotOf(app, name), found({ id: `${app}/slots/${name}`, location: 'West Europe' }));
  }
  return state;
}

const withSelection = (slots?: SlotSelection) => {
  const base = policy();
  return { ...base, callees: base.callees.map((callee) => ({ ...callee, ...(slots ? { slots } : {}) })) };
};

describe('deployment slots in the enforced policies', () => {
  const observed = observedWithSlots({ [PAYMENTS]: ['staging', 'canary'], [ORDERS]: ['staging'] });

  test.each<[string, SlotSelection | undefined, string[]]>([
    ['every slot by default', undefined, ['staging', 'canary']],
    ['every slot with `all`', { kind: 'all' }, ['staging', 'canary']],
    ['only the named slots', { kind: 'named', names: ['canary'] }, ['canary']],
    ['no slot with `none`', { kind: 'none' }, []],
  ])('%s of a callee: locked like the callee', (_, selection, expected) => {
    const [enforced] = withSlots([withSelection(selection)], observed);
    const [app, ...slots] = enforced.callees;
    expect(app.id).toBe(PAYMENTS.toLowerCase());
    expect(slots.map((slot) => slot.id)).toEqual(expected.map((name) => slotOf(PAYMENTS, name)));
    for (const slot of slots) expect(slot).toMatchObject({ scm: app.scm, slotOf: app.id, displayId: `${PAYMENTS}/slots/${slot.id.split('/').pop()}` });
  });

  it('adds the slots of a caller only with `callerSlots: all`, once each', () => {
    expect(withSlots([policy()], observed)[0].callers.map((caller) => caller.id)).toEqual([ORDERS.toLowerCase()]);
    const all = { ...policy({ callers: [ORDERS, `${ORDERS}/slots/staging`] }), callerSlots: 'all' as const };
    expect(withSlots([all], observed)[0].callers.map((caller) => caller.id)).toEqual([ORDERS.toLowerCase(), slotOf(ORDERS, 'staging')]);
  });

  it('adds nothing for an app whose slot list could not be read', () => {
    const unreadable = observedWithSlots({});
    unreadable.slots!.set(PAYMENTS.toLowerCase(), { status: 'unreadable', error: Object.assign(new Error('boom'), { name: 'ArmError' }) as never });
    expect(withSlots([policy()], unreadable)[0].callees.map((callee) => callee.id)).toEqual([PAYMENTS.toLowerCase()]);
  });
});
