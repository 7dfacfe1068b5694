/**
 * Reconcile benchmark on the ARM emulator: N caller/callee pairs, first tick (full lockdown),
 * second tick (no drift), then a tick after one portal change. Prints time, ARM reads and
 * writes per tick, reads per distinct resource (target: 1.0), and heap; compares sizes by
 * ratio within one run (no absolute time targets: machines are shared and noisy).
 * Run: npm run bench  (BENCH_SIZES=25,100,400 to choose sizes, BENCH_PLAN_SIZES=1000,10000 for
 * the plan-only table, BENCH_SLOT_SIZES=100 for what deployment slots cost (0, 1 and 3 slots per
 * callee); an empty value skips that part)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator } from '../emulator/src/index';
import { ArmPort } from '../src/reconciler/azure/armPort';
import { connectionFromSettings } from '../src/reconciler/azure/connection';
import { createLogger } from '../src/reconciler/logger';
import { runTick } from '../src/reconciler/tick';
import { benchTopology, SUB } from './estate';
import { measurePlan } from './planScale';

const TOKEN = 'bench-token';

function policiesFor(pairs: number): string {
  return Array.from({ length: pairs }, (_, index) =>
    [
      'apiVersion: lockdown/v1',
      'kind: LockdownPolicy',
      'metadata:',
      `  name: pair-${index}`,
      'spec:',
      `  subnet: /subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps-${Math.floor(index / 10)}`,
      '  callers:',
      `    - /subscriptions/${SUB}/resourceGroups/web/providers/Microsoft.Web/sites/caller-${index}`,
      '  callees:',
      `    - id: /subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/callee-${index}`,
    ].join('\n'),
  ).join('\n---\n');
}

interface TickFigures {
  ms: number;
  reads: number;
  writes: number;
  distinctReadTargets: number;
  heapMiB: number;
}

async function measure(pairs: number, slotsPerCallee = 0): Promise<{ pairs: number; first: TickFigures; steady: TickFigures; drift: TickFigures }> {
  const emulator = await startEmulator({ topology: benchTopology(pairs, { slotsPerCallee }), throttle: false, retryAfterSeconds: 0, identities: { [TOKEN]: { caller: 'bench' } } });
  const dir = mkdtempSync(path.join(tmpdir(), 'lockdown-bench-'));
  writeFileSync(path.join(dir, 'pairs.yaml'), policiesFor(pairs));
  const port = new ArmPort(connectionFromSettings({ LOCKDOWN_ARM_ENDPOINT: emulator.url, LOCKDOWN_ARM_TOKEN: TOKEN }), { pollIntervalInMs: 0 });
  const logger = createLogger({ level: 'silent' });
  const tick = async (): Promise<TickFigures> => {
    emulator.admin.clearRequests();
    const started = process.hrtime.bigint();
    const report = await runTick({ policyPaths: [dir], port, logger, apply: true, readConcurrency: 16, applyOptions: { concurrency: 8, retryDelayInMs: 10 } });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const failed = report.apply?.outcomes.filter((outcome) => outcome.outcome === 'failed' || outcome.outcome === 'skipped') ?? [];
    if (failed.length > 0) throw new Error(`${failed.length} actions did not succeed: ${failed[0].reason}`);
    const requests = emulator.admin.requests().filter((exchange) => !exchange.outOfBand);
    const reads = requests.filter((exchange) => exchange.method === 'GET' && !/operations|operationResults/i.test(exchange.url));
    return {
      ms,
      reads: reads.length,
      writes: requests.filter((exchange) => exchange.method !== 'GET').length,
      distinctReadTargets: new Set(reads.map((exchange) => exchange.url.split('?')[0].toLowerCase())).size,
      heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    };
  };
  try {
    const first = await tick();
    const steady = await tick();
    await emulator.admin.outOfBand('bench-portal', {
      method: 'PATCH',
      path: `/subscriptions/${SUB}/resourceGroups/fn/providers/Microsoft.Web/sites/callee-0/config/web`,
      body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } },
    });
    const drift = await tick();
    return { pairs, first, steady, drift };
  } finally {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function planTable(): void {
  const sizes = (process.env.BENCH_PLAN_SIZES ?? '1000,10000').split(',').filter(Boolean).map(Number);
  if (sizes.length === 0) return;
  console.log('plan only (diff, modes, safety proof), every callee denying by default with one foreign rule; median of 5:');
  console.log('pairs  | estate                           |  plan time |   CPU time | heap growth |   rss   | actions (withheld)');
  const rows = sizes.flatMap((pairs) => (['lockedDown', 'allowListed'] as const).map((shape) => measurePlan(pairs, shape)));
  for (const figures of rows) {
    const label = figures.shape === 'lockedDown' ? 'no drift' : 'full lockdown from an allow-list';
    console.log(
      `${String(figures.pairs).padStart(6)} | ${label.padEnd(32)} | ${figures.ms.toFixed(1).padStart(7)} ms | ${figures.cpuMs.toFixed(1).padStart(7)} ms | ${figures.heapMiB.toFixed(1).padStart(7)} MiB | ${figures.rssMiB.toFixed(0).padStart(4)} MiB | ${figures.actions} (${figures.withheld})`,
    );
  }
  for (const shape of ['lockedDown', 'allowListed'] as const) {
    const [smallest, largest] = [rows.find((row) => row.shape === shape), rows.filter((row) => row.shape === shape).at(-1)];
    if (smallest && largest && largest.pairs > smallest.pairs) {
      console.log(`${shape === 'lockedDown' ? 'no drift' : 'full lockdown'}: ${smallest.pairs} → ${largest.pairs} pairs (×${largest.pairs / smallest.pairs}): plan time ×${(largest.ms / smallest.ms).toFixed(1)}, CPU ×${(largest.cpuMs / smallest.cpuMs).toFixed(1)}`);
    }
  }
  console.log(`load average while measuring: ${loadavg().map((load) => load.toFixed(2)).join(' ')} on ${availableParallelism()} cores`);
  console.log('');
}

const fmt = (figures: TickFigures) =>
  `${figures.ms.toFixed(0).padStart(6)} ms ${String(figures.reads).padStart(5)} reads ${String(figures.writes).padStart(5)} writes  reads/resource ${(figures.reads / Math.max(1, figures.distinctReadTargets)).toFixed(2)}`;

/** What slots cost: one list per callee, then one config read per slot; the first tick locks each slot too. */
async function slotTable(): Promise<void> {
  const sizes = (process.env.BENCH_SLOT_SIZES ?? '100').split(',').filter(Boolean).map(Number);
  if (sizes.length === 0) return;
  console.log('pairs | slots per callee | first tick (full lockdown)                            | steady tick (no drift)');
  for (const pairs of sizes) {
    for (const slots of [0, 1, 3]) {
      const row = await measure(pairs, slots);
      console.log(`${String(pairs).padStart(5)} | ${String(slots).padStart(16)} | ${fmt(row.first)} | ${fmt(row.steady)}`);
    }
  }
  console.log('');
}

async function main(): Promise<void> {
  planTable();
  await slotTable();
  const sizes = (process.env.BENCH_SIZES ?? '25,100,400').split(',').filter(Boolean).map(Number);
  if (sizes.length === 0) return;
  const rows = [];
  for (const size of sizes) rows.push(await measure(size));
  console.log('pairs | first tick (full lockdown)                            | steady tick (no drift)                               | one portal change');
  for (const row of rows) console.log(`${String(row.pairs).padStart(5)} | ${fmt(row.first)} | ${fmt(row.steady)} | ${fmt(row.drift)}`);
  const base = rows[0];
  for (const row of rows.slice(1)) {
    console.log(
      `scaling ${base.pairs} → ${row.pairs} pairs (×${(row.pairs / base.pairs).toFixed(1)}): steady tick time ×${(row.steady.ms / base.steady.ms).toFixed(2)}, reads ×${(row.steady.reads / base.steady.reads).toFixed(2)}; heap after run ${row.steady.heapMiB.toFixed(1)} MiB`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
