/** One drift, the default action of payments-func opened to Allow, in the shapes alerting keeps it. */
import type { DriftRecord } from '../../src/reconciler/state/store';
import type { DriftEvent, DriftFacts, PairRef } from '../../src/reconciler/alerts/types';
import type { HistoryEntry } from '../../src/reconciler/status/types';

export const PAYMENTS_ID = '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func';
export const ORDERS_TO_PAYMENTS: PairRef = {
  policy: 'orders-to-payments',
  caller: '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/web/providers/Microsoft.Web/sites/orders-web',
  callee: PAYMENTS_ID,
};
export const DEFAULT_ACTION_KEY = 'orders-to-payments|*|payments|defaultAction|ipSecurityRestrictionsDefaultAction';

/** Minute `n` of 2026-11-28 12:00 UTC, as ISO. */
export const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 12, minute)).toISOString();

export const defaultActionDrift = (): DriftFacts => ({
  key: DEFAULT_ACTION_KEY,
  policy: 'orders-to-payments',
  pairs: [ORDERS_TO_PAYMENTS],
  resourceId: PAYMENTS_ID,
  aspect: 'defaultAction',
  field: 'ipSecurityRestrictionsDefaultAction',
  expected: 'Deny',
  actual: 'Allow',
  action: 'reportedOnly',
});

export const driftEvent = (minute: number, overrides: Partial<DriftEvent> = {}): DriftEvent => ({
  ...defaultActionDrift(),
  symbol: '~',
  reason: 'audit: audit mode',
  detectedAt: at(minute),
  tickId: `tick-${minute}`,
  ...overrides,
});

export const driftRecord = (overrides: Partial<DriftRecord> = {}): DriftRecord => ({
  ...defaultActionDrift(),
  symbol: '~',
  firstDetectedAt: at(0),
  lastDetectedAt: at(0),
  lastTickId: 'tick-0',
  ...overrides,
});

export const historyEntry = (when: string, overrides: Partial<HistoryEntry> = {}): HistoryEntry => ({
  at: when,
  kind: 'detected',
  ...defaultActionDrift(),
  ...overrides,
});
