/**
 * Finds the policy files under the paths given. Anything found that might hold a policy but
 * cannot be read as one (an unreadable folder, a FIFO or device named *.yaml, a link that
 * leaves the policy folder) is a problem: a policy skipped silently could let another
 * policy remove what it protects, so each of these freezes every write.
 */

import { readdir, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import * as path from 'node:path';
import { fileProblem } from './parse';
import type { PolicyProblem } from './types';

export interface DiscoverOptions {
  /** Follow links whose target is outside the folder given (default false). */
  followExternalLinks?: boolean;
}

export interface DiscoveredFiles {
  /** Regular files (or links to them, or paths that could not be examined), each real file once. */
  files: string[];
  /** Paths that may hold policies but cannot be read as policy files: every write is frozen. */
  problems: PolicyProblem[];
}

const POLICY_EXTENSIONS = new Set(['.yaml', '.yml']);
/** Folders that never hold policies. (Hidden folders and policies/schema/ are skipped too.) */
const SKIPPED_DIRECTORIES = new Set(['node_modules']);

export const FREEZES_EVERY_WRITE = 'what it names cannot be told, so nothing is written until this is fixed';

/**
 * Directories are searched recursively for *.yaml and *.yml (sorted; `schema/`, hidden
 * folders and node_modules skipped); files named explicitly are taken whatever their
 * extension, but only when they are regular files.
 */
export async function discoverPolicyFiles(paths: string[], options: DiscoverOptions = {}): Promise<DiscoveredFiles> {
  const files: string[] = [];
  const problems: PolicyProblem[] = [];
  const seen = new Set<string>();
  const add = async (file: string) => {
    // The same file reached twice (named twice, or through a link) is one file.
    const key = await realpath(file).catch(() => path.resolve(file));
    if (seen.has(key)) return;
    seen.add(key);
    files.push(file);
  };

  for (const given of paths) {
    let stats: Stats;
    try {
      stats = await stat(given);
    } catch {
      await add(given); // reading it reports why
      continue;
    }
    if (stats.isDirectory()) {
      const found = await policyFilesUnder(given, options);
      for (const problem of found.problems) problems.push(problem);
      for (const file of found.files) await add(file);
    } else if (stats.isFile()) {
      await add(given);
    } else {
      problems.push(notRegularFileProblem(given, stats));
    }
  }
  return { files, problems };
}

export function notRegularFileProblem(file: string, stats: Stats): PolicyProblem {
  return fileProblem(
    file,
    `refused: not a regular file (${fileKind(stats)}); ${FREEZES_EVERY_WRITE}`,
    'policy files are regular files: remove it or rename it so it does not end in .yaml or .yml',
  );
}

function fileKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a file';
}

function isPolicyName(name: string): boolean {
  return POLICY_EXTENSIONS.has(path.extname(name).toLowerCase());
}

function isInside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`);
}

async function policyFilesUnder(directory: string, options: DiscoverOptions): Promise<DiscoveredFiles> {
  const files: string[] = [];
  const problems: PolicyProblem[] = [];
  const root = await realpath(directory);
  // Linked folders are followed once each, so links cannot loop.
  const visited = new Set<string>();

  const walk = async (current: string): Promise<void> => {
    const real = await realpath(current).catch(() => path.resolve(current));
    if (visited.has(real)) return;
    visited.add(real);
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch (error) {
      problems.push(fileProblem(current, `cannot read the folder: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; ${FREEZES_EVERY_WRITE}`, 'make the folder readable, or move it out of the policy folder'));
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(current, entry.name);
      const skippedFolderName = entry.name.startsWith('.') || SKIPPED_DIRECTORIES.has(entry.name) || (entry.name === 'schema' && (current === directory || path.basename(current) === 'policies'));
      let target: Stats | undefined;
      if (entry.isSymbolicLink()) {
        target = await stat(full).catch(() => undefined);
        if (!target) {
          // A dangling link: reading it fails, which is reported and freezes writes.
          if (isPolicyName(entry.name)) files.push(full);
          continue;
        }
        const mayHoldPolicies = target.isDirectory() ? !skippedFolderName : isPolicyName(entry.name);
        const leavesRoot = !isInside(root, await realpath(full).catch(() => full));
        if (mayHoldPolicies && leavesRoot && !options.followExternalLinks) {
          problems.push(
            fileProblem(
              full,
              `a link that leaves the policy folder is not followed; ${FREEZES_EVERY_WRITE}`,
              'copy the policy into the folder, or allow such links with --follow-external-links (LOCKDOWN_FOLLOW_EXTERNAL_LINKS=true) if their targets are trusted',
            ),
          );
          continue;
        }
      }
      // Some file systems do not say what an entry is: ask.
      if (!target && !entry.isFile() && !entry.isDirectory()) target = await stat(full).catch(() => undefined);
      const isDirectory = target ? target.isDirectory() : entry.isDirectory();
      if (isDirectory) {
        if (!skippedFolderName) await walk(full);
      } else if (isPolicyName(entry.name)) {
        const isFile = target ? target.isFile() : entry.isFile();
        if (isFile) files.push(full);
        else if (target) problems.push(notRegularFileProblem(full, target));
        else files.push(full); // vanished while listed: reading it reports why
      }
    }
  };
  await walk(directory);
  return { files: files.sort(), problems };
}
