/** The policy language: load, validate and describe Lockdown policy files. */

export { loadPolicies, loadPolicyText, loadPolicyTexts } from './load';
export type { LoadPoliciesOptions, PolicySource } from './load';
export { formatProblem, formatProblems } from './format';
export { POLICY_JSON_SCHEMA_PATH, policyJsonSchema, policyJsonSchemaText } from './schema';
export * from './types';
