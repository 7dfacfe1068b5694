/**
 * An unreadable sub-folder. Tests may run as root, for whom permissions do not apply, so
 * the listing of the folder is made to fail as it does for anyone else (EACCES).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadPolicies } from '../../src/reconciler/policy/load';
import { EVERY_RESOURCE } from '../../src/reconciler/policy/types';
import { policyYaml } from './helpers';

const unreadable = new Set<string>();
jest.mock('node:fs/promises', () => {
  const actual = jest.requireActual('node:fs/promises');
  return {
    ...actual,
    readdir: (folder: string, options: unknown) =>
      unreadable.has(folder)
        ? Promise.reject(Object.assign(new Error(`EACCES: permission denied, scandir '${folder}'`), { code: 'EACCES' }))
        : actual.readdir(folder, options),
  };
});

it('reports an unreadable sub-folder by name, loads the rest and freezes every write', async () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'lockdown-unreadable-'));
  try {
    const locked = path.join(directory, 'locked');
    mkdirSync(locked);
    writeFileSync(path.join(directory, 'good.yaml'), policyYaml('good'));
    unreadable.add(locked);
    const loaded = await loadPolicies([directory]);
    expect(loaded.problems).toEqual([expect.objectContaining({ file: locked, line: 1, message: expect.stringMatching(/^cannot read the folder: EACCES; .*nothing is written/) })]);
    expect(loaded.invalidFiles).toEqual([locked]);
    expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file: locked }]);
    expect(loaded.policies.map((policy) => policy.name)).toEqual(['good']);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
