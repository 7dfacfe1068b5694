/**
 * Fuzzing the policy loader in-process: generated, mutated policy files on disk, loaded
 * and validated as the CLI does. A failure prints fast-check's seed and path; replay it with
 * LOCKDOWN_FUZZ_SEED=<seed> LOCKDOWN_FUZZ_PATH=<path>. `npm run soak:policy` runs many more.
 */
import fc from 'fast-check';
import { runCli } from '../../src/cli/main';
import { loadPolicies } from '../../src/reconciler/policy/load';
import { caseFolders, fuzzParameters, isFrozen, policyCase, SECRET, writeCase } from '../support/policyFuzz';

/** At least 500 in `npm test`; the soak (LOCKDOWN_FUZZ_RUNS) runs many more. */
const LOADER_RUNS = Number(process.env.LOCKDOWN_FUZZ_RUNS ?? 500);

/** `validate` ends with 0 or 1, every problem at file:line:column, nothing echoed it must not. */
async function checkValidate(folder: string, followExternalLinks: boolean, mustBeInvalid: boolean): Promise<void> {
  const out: string[] = [];
  const err: string[] = [];
  const args = ['validate', folder, ...(followExternalLinks ? ['--follow-external-links'] : [])];
  const code = await runCli(args, { stdout: (text) => out.push(text), stderr: (text) => err.push(text), env: {} });
  expect([0, 1]).toContain(code);
  const problemLines = err.join('\n').split('\n').filter(Boolean);
  for (const line of problemLines) expect(line).toMatch(/^\S.*:\d+:\d+ (error|warning)[ :]/);
  expect(code === 1).toBe(problemLines.some((line) => / error[ :]/.test(line)));
  if (mustBeInvalid) expect(code).toBe(1);
  const output = [...out, ...err].join('\n');
  expect(output).not.toContain(SECRET.slice(0, 17));
  expect(output).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
}

describe('the policy loader, fuzzed', () => {
  it(`keeps every resource an invalid, unreadable or undecodable file names frozen, and validate ends cleanly (${LOADER_RUNS} cases)`, async () => {
    await fc.assert(
      fc.asyncProperty(policyCase, async (testCase) => {
        const folders = caseFolders();
        try {
          const written = writeCase(testCase, folders.folder, folders.outside);
          const loaded = await loadPolicies([folders.folder], { followExternalLinks: testCase.followExternalLinks });
          const invalid = loaded.invalidFiles.includes(written.file) || (written.obscured && loaded.invalidFiles.length > 0);
          const frozen = new Set(loaded.frozenResources.map((resource) => resource.id));
          if (written.mustBeInvalid) expect({ case: written.describe, invalid }).toEqual({ case: written.describe, invalid: true });
          if (written.obscured) expect({ case: written.describe, everything: frozen.has('*') }).toEqual({ case: written.describe, everything: true });
          if (invalid) {
            const unfrozen = written.names.filter((id) => !isFrozen(frozen, id));
            expect({ case: written.describe, unfrozen }).toEqual({ case: written.describe, unfrozen: [] });
          }
          if (written.clean) {
            expect({ case: written.describe, problems: loaded.problems.filter((p) => p.severity === 'error') }).toEqual({ case: written.describe, problems: [] });
            expect(loaded.policies).toHaveLength(1);
          }
          await checkValidate(folders.folder, testCase.followExternalLinks, written.mustBeInvalid);
        } finally {
          folders.dispose();
        }
      }),
      fuzzParameters(LOADER_RUNS),
    );
  }, 60_000 + LOADER_RUNS * 400);
});
