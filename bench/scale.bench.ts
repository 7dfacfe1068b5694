/**
 * Estate scale: cold imports, and ticks at 1,000 and 10,000 pairs under the real limits (ARM
 * reads: 250 burst, then 25 per second per subscription; Resource Graph: 15 queries per 5 s per
 * caller), on the emulator's core in process (the same pipeline, throttle and state model as the
 * HTTPS server, without TLS, so the figures show the limits and Lockdown, not the transport).
 *
 * Each tick is reported with its requests, its time and the ratio of that time to the source's
 * throttle bound (the least time the limits allow for those requests; "-" when they fit in the
 * burst). Run: npm run bench:scale
 *   BENCH_SCALE_PARTS=cold,steady,first   which parts (default all)
 *   BENCH_STEADY=resourcegraph:1000,resourcegraph:10000,arm:1000   steady ticks to run
 *   BENCH_FIRST=1000   pairs of the first-tick run (full lockdown, Resource Graph)
 *   BENCH_COLD_RUNS=15 runs per cold-import median
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArmPort } from '../src/reconciler/azure/armPort';
import { ResourceGraphClient } from '../src/reconciler/azure/resourceGraph';
import { ResourceGraphPort } from '../src/reconciler/azure/resourceGraphPort';
import { createLogger } from '../src/reconciler/logger';
import type { AzurePort } from '../src/reconciler/port';
import { runTick } from '../src/reconciler/tick';
import { startInProcessEmulator } from '../test/support/inProcessEmulator';
import { benchTopology, SUB, subnetId } from './estate';

const ROOT = path.resolve(__dirname, '..');

const ARM_READS = { burst: 250, perSecond: 25 };
const ARM_WRITES = { burst: 200, perSecond: 10 };
const GRAPH_QUOTA = { queries: 15, windowInMs: 5000 };
const BUDGET_SECONDS = 480;


function policiesFor(from: number, to: number): string {
  return Array.from({ length: to - from }, (_, offset) => from + offset).map((index) =>
    [
      'apiVersion: lockdown/v1',
      'kind: LockdownPolicy',
      'metadata:',
      `  name: pair-${index}`,
      'spec:',
      `  subnet: ${subnetId(index)}`,
      '  callers:',
      `    - /subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/caller-${index}`,
      '  callees:',
      `    - id: /subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/callee-${index}`,
    ].join('\n'),
  ).join('\n---\n');
}

/**
 * The least time the limits allow: ARM reads beyond the burst at 25/s, writes beyond theirs at
 * 10/s, Resource Graph queries beyond one window's quota a window per quota; whichever is longest.
 */
function throttleBoundSeconds(armReads: number, writes: number, graphQueries: number): number {
  const reads = Math.max(0, armReads - ARM_READS.burst) / ARM_READS.perSecond;
  const armWrites = Math.max(0, writes - ARM_WRITES.burst) / ARM_WRITES.perSecond;
  const graph = Math.max(0, Math.ceil(graphQueries / GRAPH_QUOTA.queries) - 1) * (GRAPH_QUOTA.windowInMs / 1000);
  return Math.max(reads, armWrites, graph);
}

interface TickFigures {
  source: string;
  pairs: number;
  seconds: number;
  armReads: number;
  throttled: number;
  graphQueries: number;
  writes: number;
  actions: number;
  /** Error conditions (a resource that could not be read, say). */
  errors: number;
  errorReasons: string[];
  firstError: string;
  failureReasons: string[];
  failed: number;
}

async function tick(source: 'arm' | 'resourcegraph', pairs: number, locked: boolean): Promise<TickFigures> {
  const emulator = startInProcessEmulator({ topology: benchTopology(pairs, { locked }), historyLimit: 5, throttle: { reads: ARM_READS, writes: ARM_WRITES }, retryAfterSeconds: 1, resourceGraph: { quota: GRAPH_QUOTA }, lroMaxDurationMs: 10_000 });
  const retryOptions = { maxRetries: 20, retryDelayInMs: 200, maxRetryDelayInMs: 5000 };
  // As in production: the SDK pipeline waits out each 429's Retry-After and tries again.
  const arm = new ArmPort(emulator.connection, { pollIntervalInMs: 1000, retryOptions });
  const graph = new ResourceGraphClient(emulator.connection, { retryOptions });
  const port: AzurePort = source === 'arm' ? arm : new ResourceGraphPort(arm, graph);
  const dir = mkdtempSync(path.join(tmpdir(), 'lockdown-scale-'));
  // A policy file has a size limit: a thousand pairs a file.
  for (let start = 0; start < pairs; start += 1000) writeFileSync(path.join(dir, `pairs-${start}.yaml`), policiesFor(start, Math.min(pairs, start + 1000)));
  try {
    emulator.admin.clearRequests();
    const started = process.hrtime.bigint();
    const report = await runTick({ policyPaths: [dir], port, logger: createLogger({ level: 'silent' }), apply: true, readConcurrency: 16, applyOptions: { concurrency: 8, retryDelayInMs: 500 } });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (report.policies.policies.length !== pairs) throw new Error(`${report.policies.policies.length} of ${pairs} policies loaded: ${report.policies.problems[0]?.message ?? ''}`);
    const requests = emulator.admin.requests();
    return {
      source,
      pairs,
      seconds,
      // Refused reads (429) are retried: the bound counts the reads ARM answered.
      armReads: requests.filter((exchange) => exchange.method === 'GET' && exchange.status !== 429).length,
      throttled: requests.filter((exchange) => exchange.status === 429).length,
      graphQueries: requests.filter((exchange) => exchange.operationId === 'Resources' && exchange.status !== 429).length,
      writes: requests.filter((exchange) => exchange.method !== 'GET' && exchange.operationId !== 'Resources' && exchange.status !== 429).length,
      actions: report.plan.actions.length,
      errors: report.plan.conditions.filter((condition) => condition.severity === 'error').length,
      firstError: report.plan.conditions.find((condition) => condition.severity === 'error')?.message ?? '',
      errorReasons: [...new Set(report.plan.conditions.filter((condition) => condition.severity === 'error').map((condition) => condition.reason))],
      failureReasons: [...new Set((report.apply?.outcomes ?? []).filter((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'skipped').map((outcome) => outcome.reason ?? ''))].slice(0, 3),
      failed: report.apply?.outcomes.filter((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'skipped').length ?? 0,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(label: string, figures: TickFigures): string {
  const bound = throttleBoundSeconds(figures.armReads, figures.writes, figures.graphQueries);
  return `| ${label} | ${figures.source} | ${figures.pairs} | ${figures.graphQueries} | ${figures.armReads} | ${figures.writes} | ${figures.throttled} | ${figures.seconds.toFixed(1)} s | ${bound > 0 ? `${bound.toFixed(1)} s` : '-'} | ${bound > 0 ? (figures.seconds / bound).toFixed(2) : '-'} |`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function coldImports(): void {
  const runs = Number(process.env.BENCH_COLD_RUNS ?? 15);
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const time = (args: string[]) =>
    median(
      Array.from({ length: runs }, () => {
        const started = process.hrtime.bigint();
        const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore', env: { ...process.env, FUNCTIONS_WORKER_RUNTIME: undefined } });
        if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
        return Number(process.hrtime.bigint() - started) / 1e6;
      }),
    );
  const baseline = time(['-e', '0']);
  const entry = time(['-e', "require('./dist/src/functions/index.js')"]);
  const validate = time(['bin/lockdown.js', 'validate', 'policies']);
  const eager = time(['-e', "require('@azure/arm-appservice'); require('@azure/arm-network'); require('@azure/arm-monitor'); require('@azure/identity'); require('@azure/data-tables'); require('./dist/src/functions/reconcileTimer.js')"]);
  // The require alone, timed inside the process: what the entry adds to the worker's start.
  const requireMs = (file: string) =>
    median(
      Array.from({ length: runs }, () =>
        Number(execFileSync(process.execPath, ['-e', `const t = process.hrtime.bigint(); require(${JSON.stringify(file)}); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6))`], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, FUNCTIONS_WORKER_RUNTIME: undefined } })),
      ),
    );
  console.log(`\nrequire of the Function entry alone, timed in the process: median ${requireMs('./dist/src/functions/index.js').toFixed(0)} ms (the tick module a first invocation loads: ${requireMs('./dist/src/functions/reconcileTimer.js').toFixed(0)} ms; each SDK loads later, on first use)`);
  console.log(`\ncold import, median of ${runs} runs (process start to exit):`);
  console.log('| what | median | ratio to `node -e 0` | over `node -e 0` |');
  console.log('|---|---|---|---|');
  for (const [what, ms] of [['`node -e 0`', baseline], ['Function entry (dist/src/functions/index.js)', entry], ['`lockdown validate policies`', validate], ['every SDK and the tick module loaded eagerly (what the entry loaded before)', eager]] as const) {
    console.log(`| ${what} | ${ms.toFixed(0)} ms | ${(ms / baseline).toFixed(2)} | ${(ms - baseline).toFixed(0)} ms |`);
  }
}

async function main(): Promise<void> {
  const parts = (process.env.BENCH_SCALE_PARTS ?? 'cold,steady,first').split(',');
  if (parts.includes('cold')) coldImports();
  const header = ['', '| tick | source | pairs | Resource Graph queries | ARM reads | writes | refused (429) | time | throttle bound | ratio |', '|---|---|---|---|---|---|---|---|---|---|'];
  if (parts.includes('steady')) {
    console.log('\nsteady tick (estate already locked, no drift), real limits:');
    console.log(header.join('\n'));
    for (const spec of (process.env.BENCH_STEADY ?? 'resourcegraph:1000,resourcegraph:10000,arm:1000').split(',').filter(Boolean)) {
      const [source, pairs] = spec.split(':');
      const figures = await tick(source as 'arm' | 'resourcegraph', Number(pairs), true);
      if (figures.actions !== 0 || figures.errors !== 0) throw new Error(`the steady estate is not steady: ${figures.actions} actions, ${figures.errors} error conditions ${JSON.stringify(figures.errorReasons)} ${figures.firstError}`);
      console.log(row('steady', figures));
    }
  }
  if (parts.includes('first')) {
    const pairs = Number(process.env.BENCH_FIRST ?? 1000);
    console.log(`\nfirst tick (full lockdown of ${pairs} open pairs), real limits (ARM writes 200 burst, then 10/s), budget ${BUDGET_SECONDS} s:`);
    console.log(header.join('\n'));
    const figures = await tick('resourcegraph', pairs, false);
    console.log(row('first', figures));
    console.log(`${figures.actions} actions, ${figures.failed} failed or skipped, ${figures.errors} error conditions ${JSON.stringify(figures.errorReasons)} (first: ${figures.firstError}); ${figures.seconds <= BUDGET_SECONDS ? 'within' : 'OVER'} the ${BUDGET_SECONDS} s budget`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
