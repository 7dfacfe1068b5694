/** Shared by the policy tests: where fixtures live and how to load one. */

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadPolicyText } from '../../src/reconciler/policy/load';
import type { LoadedPolicies, PolicyProblem } from '../../src/reconciler/policy/types';

export const REPO_ROOT = path.join(__dirname, '..', '..');
export const FIXTURES = path.join(__dirname, 'fixtures');

export function fixture(relative: string): string {
  return readFileSync(path.join(FIXTURES, relative), 'utf8');
}

/** Loads one fixture file on its own; problems name it by its path under fixtures/. */
export function loadFixture(relative: string): LoadedPolicies {
  return loadPolicyText(relative, fixture(relative));
}

export function errorsOf(loaded: LoadedPolicies): PolicyProblem[] {
  return loaded.problems.filter((problem) => problem.severity === 'error');
}

export const SUBSCRIPTION = '/subscriptions/11111111-1111-1111-1111-111111111111';
export const SUBNET_APPS = `${SUBSCRIPTION}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps`;
export const ORDERS_WEB = `${SUBSCRIPTION}/resourceGroups/web/providers/Microsoft.Web/sites/orders-web`;
export const PAYMENTS_FUNC = `${SUBSCRIPTION}/resourceGroups/fn/providers/Microsoft.Web/sites/payments-func`;
export const STOCK_FUNC = `${SUBSCRIPTION}/resourceGroups/fn/providers/Microsoft.Web/sites/stock-func`;
export const REPORTS_WEB = `${SUBSCRIPTION}/resourceGroups/web/providers/Microsoft.Web/sites/reports-web`;

/** A valid policy to vary in tests that need text rather than a fixture file. */
export function policyYaml(name = 'orders-to-payments', specExtra = ''): string {
  return [
    'apiVersion: lockdown/v1',
    'kind: LockdownPolicy',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    ...(specExtra ? [specExtra.replace(/\n$/, '')] : []),
    `  subnet: ${SUBNET_APPS}`,
    '  callers:',
    `    - ${ORDERS_WEB}`,
    '  callees:',
    `    - id: ${PAYMENTS_FUNC}`,
    '',
  ].join('\n');
}
