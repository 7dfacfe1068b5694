/**
 * Soak for policy loading (`npm run soak:policy`): the loader and apply fuzz properties with
 * many more cases and a fresh seed, then the time and memory of `lockdown validate` on
 * generated and worst-case files, each in its own process. Bound: 2 s and 300 MB per MiB
 * of input (a smaller file counts as one MiB), memory over the process's own baseline.
 *
 * LOCKDOWN_FUZZ_SEED replays a run; LOCKDOWN_SOAK_RUNS, LOCKDOWN_SOAK_APPLY_RUNS and
 * LOCKDOWN_SOAK_MEASURED size it.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { caseFolders, policyCase, writeCase } from '../test/support/policyFuzz';

const MIB = 1024 * 1024;
const root = path.resolve(__dirname, '..');
const seed = Number(process.env.LOCKDOWN_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(process.env.LOCKDOWN_SOAK_RUNS ?? 5000);
const applyRuns = Number(process.env.LOCKDOWN_SOAK_APPLY_RUNS ?? 300);
const measured = Number(process.env.LOCKDOWN_SOAK_MEASURED ?? 60);
console.log(`policy soak: seed ${seed} (replay with LOCKDOWN_FUZZ_SEED=${seed} npm run soak:policy)`);

// LOCKDOWN_SOAK_RUNS=0 measures only.
const jest = runs === 0 ? { status: 0 } : spawnSync(process.execPath, [require.resolve('jest/bin/jest'), 'test/policy/loader.fuzz.test.ts', 'test/e2e/policyApply.fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, LOCKDOWN_FUZZ_SEED: String(seed), LOCKDOWN_FUZZ_RUNS: String(runs), LOCKDOWN_FUZZ_APPLY_RUNS: String(applyRuns) },
});
if (jest.status !== 0) {
  console.error(`fuzz properties failed (seed ${seed})`);
  process.exit(1);
}

interface Measurement {
  code: number;
  ms: number;
  maxRssBytes: number;
}

function validate(folder: string, follow: boolean): Measurement {
  const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/soak/measureValidate.ts', folder, follow ? 'follow' : ''], { cwd: root, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`validate aborted (status ${run.status}, signal ${run.signal}) on ${folder}:\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as Measurement;
}

/** Files that stress the loader on purpose, next to the generated ones. */
const WORST_CASES: Record<string, () => string> = {
  'a 2 KB file of 1,000 nested [': () => `${'['.repeat(1000)}${']'.repeat(1000)}\n`,
  '1 MiB of nested [': () => '['.repeat(MIB),
  '1 MiB of - - - (block nesting)': () => '- '.repeat(MIB / 2),
  '1 MiB of {a: unclosed': () => '{a: '.repeat(MIB / 4),
  '1 MiB of short lines': () => 'a: b\n'.repeat(MIB / 5),
  'just under the token bound (9,999 short lines)': () => 'a: b\n'.repeat(9_999),
  '1 MiB of comment lines': () => '#\n'.repeat(MIB / 2),
  '1 MiB of one-character list items': () => '- a\n'.repeat(MIB / 4),
  '1 MiB just under the limit, valid YAML': () => `apiVersion: lockdown/v1\nkind: LockdownPolicy\nmetadata:\n  name: big\n  description: "${'d'.repeat(MIB - 200)}"\n`,
  '16 MiB of escaped ids (searched, not parsed)': () =>
    '  - "\\x2Fsubscriptions\\x2F11111111-1111-1111-1111-111111111111\\x2FresourceGroups\\x2Ffn\\x2Fproviders\\x2FMicrosoft.Web\\x2Fsites\\x2Fpayments-func"\n'.repeat((16 * MIB) / 150),
  '16 MiB of folded lines': () => 'x: "/subscriptions/1/resourceGroups/g/providers/\\\n    Microsoft.Web/sites/a"\n'.repeat((16 * MIB) / 80),
};

const baseline = (() => {
  const folders = caseFolders();
  try {
    return validate(folders.folder, false).maxRssBytes;
  } finally {
    folders.dispose();
  }
})();

const results: { label: string; bytes: number; measurement: Measurement }[] = [];
const run = (label: string, write: (folder: string, outside: string) => { bytes: number; follow: boolean }) => {
  const folders = caseFolders();
  try {
    const { bytes, follow } = write(folders.folder, folders.outside);
    results.push({ label, bytes, measurement: validate(folders.folder, follow) });
  } finally {
    folders.dispose();
  }
};
for (const [label, text] of Object.entries(WORST_CASES)) {
  run(label, (folder) => {
    const content = text();
    writeFileSync(path.join(folder, 'worst.yaml'), content);
    return { bytes: Buffer.byteLength(content), follow: false };
  });
}
for (const testCase of fc.sample(policyCase, { seed, numRuns: measured })) {
  run('generated', (folder, outside) => ({ bytes: writeCase(testCase, folder, outside).bytes, follow: testCase.followExternalLinks }));
}

let failed = false;
console.log(`\nvalidate, each in its own process (baseline ${(baseline / MIB).toFixed(0)} MB):`);
console.log('input                                              |     size |  exit |     time | memory over baseline');
for (const { label, bytes, measurement } of results) {
  const units = Math.max(1, bytes / MIB);
  const overMb = Math.max(0, measurement.maxRssBytes - baseline) / MIB;
  const withinBounds = [0, 1].includes(measurement.code) && measurement.ms <= 2000 * units && overMb <= 300 * units;
  if (!withinBounds) failed = true;
  if (label !== 'generated' || !withinBounds) {
    console.log(`${label.padEnd(50)} | ${(bytes / MIB).toFixed(2).padStart(6)} MiB | ${String(measurement.code).padStart(5)} | ${measurement.ms.toFixed(0).padStart(5)} ms | ${overMb.toFixed(0).padStart(4)} MB${withinBounds ? '' : '  OVER BOUND'}`);
  }
}
const generated = results.filter((result) => result.label === 'generated');
const worst = (pick: (result: (typeof results)[number]) => number) => Math.max(...generated.map(pick));
console.log(
  `${generated.length} generated files: slowest ${worst((r) => r.measurement.ms).toFixed(0)} ms, ` +
    `most memory ${(worst((r) => r.measurement.maxRssBytes - baseline) / MIB).toFixed(0)} MB over baseline`,
);
if (failed) {
  console.error(`validate went over 2 s or 300 MB per MiB (seed ${seed})`);
  process.exit(1);
}
