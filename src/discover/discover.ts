/**
 * `lockdown discover`: read the estate, propose policies, check them with the policy loader,
 * compute what a plan would change if every proposal were enforced (the real observe, diff
 * and modes), and write one audit-mode file per proposal into the output folder.
 * Nothing is written to Azure: the estate source and observe only read.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan } from '../reconciler/plan';
import { formatProblems } from '../reconciler/policy/format';
import { loadPolicyTexts } from '../reconciler/policy/load';
import type { LockdownPolicy } from '../reconciler/policy/types';
import type { AzurePort, PortCallOptions } from '../reconciler/port';
import { observeAndPlan } from '../reconciler/tick';
import { portEstateSource, type DiscoveryScope, type EstateSource, type UnreadableResource } from './estate';
import { policyFile, type PolicyFile } from './policyFile';
import { propose, type Discovery } from './propose';

export const DISCOVERY_FORMAT_VERSION = 1;
export const DEFAULT_DISCOVERY_FOLDER = 'policies/discovered';

/** What discovery cannot see yet, said in every summary rather than guessed. */
export const NOT_READ = [
  'deployment slots of apps that admit the internet: such an app is unprotected whatever its slots do',
  'slots as pairs of their own: a slot is proposed neither as a caller nor as a callee (a proposed callee\'s slots are locked with it)',
];

export interface DiscoverOptions extends PortCallOptions {
  scope: DiscoveryScope;
  /** Observes the proposals for the plan; also the estate source unless `source` is given. */
  port: AzurePort;
  source?: EstateSource;
  outDir: string;
  /** Overwrite policy files that already exist in the output folder. */
  force?: boolean;
  now?: () => Date;
  readConcurrency?: number;
}

export interface DiscoveryReport extends Discovery {
  formatVersion: number;
  scope: DiscoveryScope;
  discoveredAt: string;
  read: { apps: number; virtualNetworks: number; subnets: number };
  unreadable: UnreadableResource[];
  notRead: string[];
  files: { folder: string; written: string[]; refused: { file: string; reason: string }[] };
  /** The plan if every proposal were enforced, computed against the observed state. */
  planIfEnforced: Plan;
}

export function scopeLabel(scope: DiscoveryScope): string {
  const subscriptions = scope.subscriptions.map((id) => `/subscriptions/${id}`).join(', ');
  return scope.resourceGroups.length > 0 ? `${subscriptions} (resource groups ${scope.resourceGroups.join(', ')})` : subscriptions;
}

/** The proposals as the policy loader reads them; an invalid proposal is a defect here, never written. */
function loadProposals(files: PolicyFile[], outDir: string): LockdownPolicy[] {
  const loaded = loadPolicyTexts(files.map((file) => ({ file: path.join(outDir, file.fileName), text: file.text })));
  const errors = loaded.problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0) throw new Error(`discover proposed policies the loader rejects; nothing was written:\n${formatProblems(errors)}`);
  return loaded.policies;
}

async function planIfEnforced(port: AzurePort, policies: LockdownPolicy[], options: DiscoverOptions): Promise<Plan> {
  const enforced = policies.map((policy) => ({ ...policy, mode: 'enforce' as const }));
  // The same observe and plan as a tick (slots, modes, the safety proof), so the summary is what `plan` will say.
  const { plan } = await observeAndPlan(port, enforced, { concurrency: options.readConcurrency, abortSignal: options.abortSignal, now: options.now });
  return plan;
}

/** Why a file may not be written, or undefined: only plain new files inside the folder, existing ones only with force. */
async function refusal(folder: string, target: string, force: boolean): Promise<string | undefined> {
  if (path.dirname(target) !== folder) return 'outside the output folder';
  const existing = await lstat(target).catch(() => undefined);
  if (!existing) return undefined;
  if (!existing.isFile()) return 'exists and is not a regular file';
  return force ? undefined : 'exists (use --force to overwrite)';
}

async function writePolicyFiles(files: PolicyFile[], outDir: string, force: boolean): Promise<DiscoveryReport['files']> {
  const folder = path.resolve(outDir);
  const targets = files.map((file) => ({ file, target: path.resolve(folder, file.fileName) }));
  const refused: DiscoveryReport['files']['refused'] = [];
  for (const { target } of targets) {
    const reason = await refusal(folder, target, force);
    if (reason) refused.push({ file: target, reason });
  }
  // All or nothing: a half-written set of proposals would be reviewed as if it were whole.
  if (refused.length > 0) return { folder, written: [], refused };
  await mkdir(folder, { recursive: true });
  for (const { file, target } of targets) {
    // O_EXCL unless forced: a file that appeared since the check is not overwritten either.
    await writeFile(target, file.text, { flag: force ? 'w' : constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY });
  }
  return { folder, written: targets.map(({ target }) => target), refused };
}

export async function discover(options: DiscoverOptions): Promise<DiscoveryReport> {
  const now = options.now ?? (() => new Date());
  const source = options.source ?? portEstateSource(options.port, { concurrency: options.readConcurrency });
  const estate = await source(options.scope, { abortSignal: options.abortSignal });
  const discoveredAt = now().toISOString();
  const discovery = propose(estate);
  const files = discovery.proposals.map((proposal) => policyFile(proposal, { discoveredAt, scope: scopeLabel(options.scope) }));
  const policies = loadProposals(files, options.outDir);
  const plan = await planIfEnforced(options.port, policies, options);
  const written = await writePolicyFiles(files, options.outDir, options.force ?? false);
  return {
    formatVersion: DISCOVERY_FORMAT_VERSION,
    scope: options.scope,
    discoveredAt,
    read: {
      apps: estate.sites.length,
      virtualNetworks: estate.virtualNetworks.length,
      subnets: estate.virtualNetworks.reduce((count, vnet) => count + vnet.subnets.length, 0),
    },
    ...discovery,
    unreadable: estate.unreadable,
    notRead: NOT_READ,
    files: written,
    planIfEnforced: plan,
  };
}
