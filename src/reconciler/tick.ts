/**
 * One reconcile tick: load policies, observe, diff, filter by modes, apply (or only plan).
 * Used by the timer Function and the CLI alike. A tick never throws for a bad policy or a
 * failing pair: those are in the report; it throws only when nothing could be done at all.
 */
import { randomUUID } from 'node:crypto';
import { apply, type ApplyOptions, type ApplyReport } from './apply';
import { diff, type DiffInput } from './diff';
import type { Logger } from './logger';
import { applyModes, type ModeOptions } from './modes';
import { confirmWithArm } from './confirm';
import { observe, type ObserveOptions } from './observe';
import type { ObservedState } from './observed';
import type { Plan } from './plan';
import { formatProblem } from './policy/format';
import { loadPolicies } from './policy/load';
import type { LoadedPolicies, LockdownPolicy } from './policy/types';
import type { AzurePort } from './port';
import { actionSummary } from './render/summary';
import { planSummaryLine } from './render/text';
import { proveSafe } from './safety';
import { slotListConditions, withSlots } from './slots';

export interface TickOptions {
  policyPaths: string[];
  port: AzurePort;
  logger: Logger;
  /** false: plan only (CLI `plan`). */
  apply: boolean;
  /** Stop before observing when any policy file is invalid (CLI --fail-on-invalid). */
  haltOnInvalidPolicies?: boolean;
  dryRun?: boolean;
  /** Follow links that leave the policy folder (otherwise each is a problem that freezes every write). */
  followExternalLinks?: boolean;
  now?: () => Date;
  readConcurrency?: number;
  applyOptions?: Omit<ApplyOptions, 'onOutcome'>;
  tickId?: string;
  /** The git commit of the policies being enforced (from the package), carried into status, history and alerts. */
  policyRevision?: string;
  /** Policies already loaded (and possibly narrowed to a targeted reconcile's): `policyPaths` is then not read. */
  loaded?: LoadedPolicies;
}

export interface TickReport {
  tickId: string;
  startedAt: string;
  finishedAt: string;
  /** When the observation finished: the state the plan was computed from (drift events use it). */
  observedAt?: string;
  policies: LoadedPolicies;
  plan: Plan;
  apply?: ApplyReport;
  /** True when haltOnInvalidPolicies stopped the tick before it observed anything. */
  halted?: boolean;
  policyRevision?: string;
  /** Apps whose deployment slots were listed this tick, with the canonical ids of the slots found. */
  listedSlots?: Map<string, string[]>;
}

/** Diff, then modes drop what must not be written, then the safety proof withholds what could cut a path. */
export function planTick(input: DiffInput & Omit<ModeOptions, 'now'>): Plan {
  const { policies, observed, now } = input;
  const plan = proveSafe(applyModes(diff({ policies, observed, now }), policies, { now, dryRun: input.dryRun, frozenResources: input.frozenResources }), { policies, observed, now });
  const slotConditions = slotListConditions(policies, observed);
  return slotConditions.length === 0 ? plan : { ...plan, conditions: [...plan.conditions, ...slotConditions] };
}

export interface ObserveAndPlanOptions extends ObserveOptions, Omit<ModeOptions, 'now'> {
  log?: Logger;
}

/**
 * Observe, then plan; when the reads came from an index that lags ARM, the policies with writes
 * are observed again through ARM and planned again (confirm.ts), so no write rests on the index.
 */
export async function observeAndPlan(port: AzurePort, policies: LockdownPolicy[], options: ObserveAndPlanOptions = {}): Promise<{ observed: ObservedState; plan: Plan }> {
  const { log, dryRun, frozenResources, ...readOptions } = options;
  // every covered deployment slot is a callee or caller of its own, as the state read shows them
  const replan = (state: ObservedState) => planTick({ policies: withSlots(policies, state), observed: state, now: state.observedAt, dryRun, frozenResources });
  const observed = await observe(port, policies, readOptions);
  const plan = replan(observed);
  if (observed.source) log?.info({ event: 'lockdown.observationSource', ...observed.source }, `observed through ${observed.source.name}: ${observed.source.detail}`);
  if (!port.authoritative || observed.source?.name !== 'resourceGraph') return { observed, plan };
  const confirmation = await confirmWithArm({ policies, observed, plan, arm: port.authoritative, replan, ...readOptions });
  log?.info(
    { event: 'lockdown.confirmed', policies: confirmation.confirmedPolicies, disagreements: confirmation.disagreements },
    `${confirmation.confirmedPolicies} polic(ies) with writes confirmed through ARM; ${confirmation.disagreements.length} resource(s) Resource Graph showed differently`,
  );
  return { observed: confirmation.observed, plan: confirmation.plan };
}

export async function runTick(options: TickOptions): Promise<TickReport> {
  const now = options.now ?? (() => new Date());
  const tickId = options.tickId ?? randomUUID();
  const log = options.logger.child({ tickId });
  const revision = options.policyRevision ? { policyRevision: options.policyRevision } : {};
  const startedAt = now().toISOString();

  const loaded = options.loaded ?? (await loadPolicies(options.policyPaths, { followExternalLinks: options.followExternalLinks }));
  for (const problem of loaded.problems) {
    log[problem.severity === 'error' ? 'error' : 'warn'](
      { event: 'lockdown.policyProblem', file: problem.file, line: problem.line, column: problem.column, path: problem.path, policy: problem.policy },
      formatProblem(problem),
    );
  }
  if (loaded.invalidFiles.length > 0) {
    log.error({ event: 'lockdown.invalidPolicyFiles', files: loaded.invalidFiles }, `${loaded.invalidFiles.length} invalid policy file(s) skipped: nothing they declare is written`);
  }

  if (options.haltOnInvalidPolicies && loaded.invalidFiles.length > 0) {
    log.error({ event: 'lockdown.halted', files: loaded.invalidFiles }, 'invalid policy files: nothing was observed or written');
    return { tickId, startedAt, finishedAt: now().toISOString(), policies: loaded, plan: { actions: [], conditions: [], policies: [], unchanged: [] }, halted: true, ...revision };
  }

  const { observed, plan } = await observeAndPlan(options.port, loaded.policies, {
    concurrency: options.readConcurrency,
    abortSignal: options.applyOptions?.abortSignal,
    now,
    dryRun: options.dryRun,
    frozenResources: loaded.frozenResources,
    log,
  });
  const planNow = observed.observedAt;
  // the policies as enforced this tick: every covered deployment slot is a callee or caller of its own
  const enforced = { ...loaded, policies: withSlots(loaded.policies, observed) };

  log.info(
    { event: 'lockdown.plan', policies: loaded.policies.length, actions: plan.actions.length, conditions: plan.conditions.length, unchanged: plan.unchanged.length },
    planSummaryLine(plan, loaded),
  );
  for (const condition of plan.conditions) {
    log[condition.severity === 'error' ? 'warn' : 'info']({ event: 'lockdown.condition', ...condition }, condition.message);
  }
  for (const resourceId of plan.unchanged) log.debug({ event: 'lockdown.unchanged', resourceId }, 'unchanged');
  for (const action of plan.actions) {
    log.info(
      { event: 'lockdown.drift', action: action.id, kind: action.kind, resourceId: action.resourceId, policies: action.policies, changes: action.changes, removedRules: action.removedRules, enforcement: action.enforcement },
      actionSummary(action),
    );
  }

  let report: ApplyReport | undefined;
  if (options.apply) {
    report = await apply(plan, options.port, {
      ...options.applyOptions,
      onOutcome: (outcome) => {
        const level = outcome.outcome === 'failed' ? 'error' : outcome.outcome === 'skipped' ? 'warn' : 'info';
        log[level]({ event: 'lockdown.outcome', ...outcome }, `${outcome.outcome} ${outcome.kind} ${outcome.resourceId}${outcome.reason ? `: ${outcome.reason}` : ''}`);
      },
    });
  }
  const listedSlots = new Map([...(observed.slots ?? [])].flatMap(([appId, slots]) => (slots.status === 'found' ? [[appId, slots.value] as const] : [])));
  return { tickId, startedAt, finishedAt: now().toISOString(), observedAt: planNow, policies: enforced, plan, apply: report, listedSlots, ...revision };
}
