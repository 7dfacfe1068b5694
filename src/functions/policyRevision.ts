/**
 * Which commit of the policies this app enforces: written into the package by
 * `npm run package`, or set as LOCKDOWN_POLICY_REVISION when the app is deployed another way.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { appRoot } from './settings';

/** At the package root, next to host.json. */
export const POLICY_REVISION_FILE = 'lockdown-revision.json';

export interface PolicyRevisionFile {
  /** The git commit that last touched policies/ (suffixed `-dirty` when they differed from it). */
  policyRevision: string;
  policiesCommittedAt?: string;
}

/** The packaged revision first (it travels with the policies), then the setting; undefined when neither is there. */
export function readPolicyRevision(env: Record<string, string | undefined> = process.env, root: string = appRoot()): string | undefined {
  const file = path.join(root, POLICY_REVISION_FILE);
  if (existsSync(file)) {
    let content: Partial<PolicyRevisionFile>;
    try {
      content = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof content.policyRevision !== 'string' || !content.policyRevision) throw new Error(`${file} has no "policyRevision" string`);
    return content.policyRevision;
  }
  return env.LOCKDOWN_POLICY_REVISION?.trim() || undefined;
}
