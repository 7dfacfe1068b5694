/**
 * Loads policy files: find, read, decode, parse, validate, cross-check. A file is all or
 * nothing: one error anywhere in it and none of its policies load, while valid files
 * still do. Contradicting policies are errors in every file involved. What an invalid file
 * names is frozen (see namedResources.ts); where that cannot be told, every write is.
 */

import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { checkPolicyText, decodePolicyBytes } from './decode';
import { discoverPolicyFiles, FREEZES_EVERY_WRITE, notRegularFileProblem } from './discover';
import { resourcesNamedIn } from './namedResources';
import { DEFAULT_MAX_FILE_BYTES, fileProblem, fileTooLargeProblem, parsePolicyYaml } from './parse';
import type { ParsePolicyYamlOptions } from './parse';
import { contradictionProblems, duplicateNameProblems } from './crossPolicy';
import { validateDocument } from './validate';
import type { DocumentValidation } from './validate';
import { EVERY_RESOURCE as EVERYTHING, type FrozenResource, type LoadedPolicies, type PolicyProblem } from './types';

export { resourceIdsIn } from './namedResources';

export interface LoadPoliciesOptions {
  /** Files larger than this are rejected unparsed. Default 1 MiB. */
  maxFileBytes?: number;
  /** Aliases a document may expand. Default 100. */
  maxAliasCount?: number;
  /** Follow links that leave the folder given (default false: such a link is a problem that freezes every write). */
  followExternalLinks?: boolean;
}

export interface PolicySource {
  file: string;
  text: string;
  /** The same bytes read at other alignments (UTF-16, UTF-32): searched too for the ids an invalid file names. */
  otherReadings?: () => string[];
}

/** Files up to this size are still searched for the ids they name when too large to parse. */
const MAX_SCANNED_BYTES = 64 * 1024 * 1024;

/**
 * Loads every policy under `paths`. Directories are searched recursively for *.yaml and
 * *.yml; files named explicitly are read whatever their extension (see discover.ts).
 */
export async function loadPolicies(paths: string[], options: LoadPoliciesOptions = {}): Promise<LoadedPolicies> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const discovered = await discoverPolicyFiles(paths, options);
  const unreadable: PolicyProblem[] = [...discovered.problems];
  const frozenResources: FrozenResource[] = discovered.problems.map((problem) => ({ id: EVERYTHING, file: problem.file }));
  const freezeEverything = (problem: PolicyProblem) => {
    unreadable.push(problem);
    frozenResources.push({ id: EVERYTHING, file: problem.file });
  };

  const sources: PolicySource[] = [];
  for (const file of discovered.files) {
    const read = await readPolicyBytes(file);
    if (!read.ok) {
      freezeEverything(read.problem);
      continue;
    }
    const decoded = decodePolicyBytes(read.bytes);
    if (read.size > maxFileBytes) {
      unreadable.push(fileTooLargeProblem(file, read.size, maxFileBytes));
      // Not parsed, but what it names is still protected from writes.
      if (!read.complete) freezeEverything(fileProblem(file, `the file is over ${MAX_SCANNED_BYTES} bytes, too large to search for the resources it names; ${FREEZES_EVERY_WRITE}`));
      else if (!decoded.ok) freezeEverything(undecodableProblem(file, decoded));
      else for (const resource of namedBy({ file, text: decoded.text, otherReadings: decoded.otherReadings }, unreadable)) frozenResources.push(resource);
      continue;
    }
    if (!decoded.ok) freezeEverything(undecodableProblem(file, decoded));
    else sources.push({ file, text: decoded.text, otherReadings: decoded.otherReadings });
  }

  const loaded = loadPolicyTexts(sources, options);
  const problems = sortProblems([...unreadable, ...loaded.problems]);
  const shown = firstProblemsOfEachFile(problems);
  return {
    policies: loaded.policies,
    problems: shown,
    invalidFiles: errorFiles(problems),
    files: discovered.files,
    frozenResources: [...frozenResources, ...loaded.frozenResources],
  };
}

/** Loads one file's text: pure, for tests and tools. */
export function loadPolicyText(file: string, text: string, options: LoadPoliciesOptions = {}): LoadedPolicies {
  return loadPolicyTexts([{ file, text }], options);
}

/** Loads several files' texts together, so names and contradictions are checked across them. */
export function loadPolicyTexts(sources: PolicySource[], options: LoadPoliciesOptions = {}): LoadedPolicies {
  const parseOptions: ParsePolicyYamlOptions = {
    ...(options.maxFileBytes !== undefined ? { maxFileBytes: options.maxFileBytes } : {}),
    ...(options.maxAliasCount !== undefined ? { maxAliasCount: options.maxAliasCount } : {}),
  };
  const problems: PolicyProblem[] = [];
  const frozenResources: FrozenResource[] = [];
  const validations: DocumentValidation[] = [];
  const readable: PolicySource[] = [];
  for (const source of sources) {
    const checked = checkPolicyText(source.text);
    if (!checked.ok) {
      problems.push(undecodableProblem(source.file, checked));
      frozenResources.push({ id: EVERYTHING, file: source.file });
      continue;
    }
    readable.push({ ...source, text: checked.text });
    const parsed = parsePolicyYaml(source.file, checked.text, parseOptions);
    for (const problem of parsed.problems) problems.push(problem);
    for (const document of parsed.documents) validations.push(validateDocument(source.file, document));
  }
  for (const validation of validations) for (const problem of validation.problems) problems.push(problem);

  // Cross-checks see every policy that holds on its own, even in a file that is invalid
  // for another reason: fixing that file must not silently start a contradiction.
  const candidates = validations.flatMap((validation) => (validation.policy ? [validation.policy] : []));
  for (const problem of [...duplicateNameProblems(validations), ...contradictionProblems(candidates)]) problems.push(problem);

  const invalid = new Set(errorFiles(problems));
  for (const source of readable) if (invalid.has(source.file)) for (const resource of namedBy(source, problems)) frozenResources.push(resource);
  return {
    policies: candidates.filter((policy) => !invalid.has(policy.source.file)),
    problems: sortProblems(problems),
    invalidFiles: errorFiles(sortProblems(problems)),
    files: sources.map((source) => source.file),
    frozenResources,
  };
}

/** What an invalid file names; every resource, with a problem saying why, when that is not certain. */
function namedBy({ file, text, otherReadings }: PolicySource, problems: PolicyProblem[]): FrozenResource[] {
  const named = resourcesNamedIn(text);
  const ids = new Set([...named.ids, ...(otherReadings?.() ?? []).flatMap((reading) => resourcesNamedIn(reading).ids)]);
  const frozen = [...ids].map((id) => ({ id, file }));
  if (named.uncertain) {
    problems.push(fileProblem(file, `the resources this file names cannot be established with certainty (${named.uncertain}); ${FREEZES_EVERY_WRITE}`));
    frozen.push({ id: EVERYTHING, file });
  }
  return frozen;
}

function undecodableProblem(file: string, decoded: { message: string; hint: string; line: number; column: number }): PolicyProblem {
  return { ...fileProblem(file, `${decoded.message}; ${FREEZES_EVERY_WRITE}`, decoded.hint), line: decoded.line, column: decoded.column };
}

/** Problems a report shows for one file; a file with thousands of mistakes gets a count for the rest. */
export const MAX_PROBLEMS_PER_FILE = 50;

function firstProblemsOfEachFile(sorted: PolicyProblem[]): PolicyProblem[] {
  const shown: PolicyProblem[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end < sorted.length && sorted[end].file === sorted[start].file) end++;
    for (let i = start; i < Math.min(end, start + MAX_PROBLEMS_PER_FILE); i++) shown.push(sorted[i]);
    if (end - start > MAX_PROBLEMS_PER_FILE) {
      const next = sorted[start + MAX_PROBLEMS_PER_FILE];
      const errors = sorted.slice(start + MAX_PROBLEMS_PER_FILE, end).some((problem) => problem.severity === 'error');
      shown.push({ ...next, severity: errors ? 'error' : 'warning', path: '', message: `${end - start - MAX_PROBLEMS_PER_FILE} more problems in this file are not shown`, hint: 'fix the ones above first' });
    }
    start = end;
  }
  return shown;
}

function errorFiles(problems: PolicyProblem[]): string[] {
  return [...new Set(problems.filter((problem) => problem.severity === 'error').map((problem) => problem.file))];
}

type ReadBytes = { ok: true; bytes: Buffer; size: number; complete: boolean } | { ok: false; problem: PolicyProblem };

/**
 * Reads a policy file, at most MAX_SCANNED_BYTES of it. A FIFO or device is never opened
 * for reading: the file is checked first, and once more on the open handle (opened without
 * blocking) in case it was swapped in between.
 */
async function readPolicyBytes(file: string): Promise<ReadBytes> {
  try {
    const before = await stat(file);
    if (!before.isFile()) return { ok: false, problem: notRegularFileProblem(file, before) };
    const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) return { ok: false, problem: notRegularFileProblem(file, stats) };
      const length = Math.min(stats.size, MAX_SCANNED_BYTES);
      const bytes = Buffer.alloc(length);
      let filled = 0;
      while (filled < length) {
        const { bytesRead } = await handle.read(bytes, filled, length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { ok: true, bytes: bytes.subarray(0, filled), size: stats.size, complete: stats.size <= MAX_SCANNED_BYTES };
    } finally {
      await handle.close();
    }
  } catch (error) {
    return { ok: false, problem: readProblem(file, error) };
  }
}

function readProblem(file: string, error: unknown): PolicyProblem {
  const code = (error as NodeJS.ErrnoException).code;
  return fileProblem(file, code === 'ENOENT' ? `no such file or directory; ${FREEZES_EVERY_WRITE}` : `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; ${FREEZES_EVERY_WRITE}`);
}

export function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}
