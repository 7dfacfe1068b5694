/**
 * Loads policy files: expand paths, read, parse, validate, cross-check. A file is all or
 * nothing: one error anywhere in it and none of its policies load, while valid files
 * still do. Contradicting policies are errors in every file involved.
 */

import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { parseAllDocuments, visit } from 'yaml';
import { DEFAULT_MAX_FILE_BYTES, fileProblem, fileTooLargeProblem, parsePolicyYaml } from './parse';
import type { ParsePolicyYamlOptions } from './parse';
import { canonicalId } from '../resourceId';
import { contradictionProblems, duplicateNameProblems, validateDocument } from './validate';
import type { DocumentValidation } from './validate';
import { EVERY_RESOURCE as EVERYTHING, type FrozenResource, type LoadedPolicies, type PolicyProblem } from './types';

export interface LoadPoliciesOptions {
  /** Files larger than this are rejected unread. Default 1 MiB. */
  maxFileBytes?: number;
  /** Aliases a document may expand. Default 100. */
  maxAliasCount?: number;
}

export interface PolicySource {
  file: string;
  text: string;
}

const POLICY_EXTENSIONS = new Set(['.yaml', '.yml']);
/** Folders that never hold policies. (Hidden folders and policies/schema/ are skipped too.) */
const SKIPPED_DIRECTORIES = new Set(['node_modules']);

/**
 * Loads every policy under `paths`. Directories are searched recursively for *.yaml and
 * *.yml (sorted; `schema/`, hidden folders and node_modules skipped); files named
 * explicitly are read whatever their extension.
 */
export async function loadPolicies(paths: string[], options: LoadPoliciesOptions = {}): Promise<LoadedPolicies> {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const unreadable: PolicyProblem[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  const addFile = (file: string) => {
    const key = path.resolve(file);
    if (seen.has(key)) return;
    seen.add(key);
    files.push(file);
  };

  for (const given of paths) {
    let stats;
    try {
      stats = await stat(given);
    } catch (error) {
      unreadable.push(readProblem(given, error));
      addFile(given);
      continue;
    }
    if (stats.isDirectory()) {
      for (const file of await policyFilesUnder(given)) addFile(file);
    } else {
      addFile(given);
    }
  }

  const sources: PolicySource[] = [];
  const frozenResources: FrozenResource[] = [];
  const failedFiles = new Set(unreadable.map((p) => p.file));
  for (const file of failedFiles) frozenResources.push({ id: EVERYTHING, file });
  for (const file of files) {
    if (failedFiles.has(file)) continue;
    try {
      const size = (await stat(file)).size;
      if (size > maxFileBytes) {
        unreadable.push(fileTooLargeProblem(file, size, maxFileBytes));
        // Not parsed, but what it names is still protected from writes.
        const scannable = size <= MAX_SCANNED_BYTES;
        // Too large to parse safely: the ids are found in the raw text only.
        const ids = scannable ? resourceIdsIn(await readFile(file, 'utf8'), { yaml: false }) : [EVERYTHING];
        frozenResources.push(...ids.map((id) => ({ id, file })));
        continue;
      }
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (error) {
      unreadable.push(readProblem(file, error));
      frozenResources.push({ id: EVERYTHING, file });
    }
  }

  const loaded = loadPolicyTexts(sources, options);
  const problems = sortProblems([...unreadable, ...loaded.problems]);
  return {
    policies: loaded.policies,
    problems,
    invalidFiles: files.filter((file) => problems.some((p) => p.file === file && p.severity === 'error')),
    files,
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
  const validations: DocumentValidation[] = [];
  for (const source of sources) {
    const parsed = parsePolicyYaml(source.file, source.text, parseOptions);
    problems.push(...parsed.problems);
    for (const document of parsed.documents) validations.push(validateDocument(source.file, document));
  }
  for (const validation of validations) problems.push(...validation.problems);

  // Cross-checks see every policy that holds on its own, even in a file that is invalid
  // for another reason: fixing that file must not silently start a contradiction.
  const candidates = validations.flatMap((validation) => (validation.policy ? [validation.policy] : []));
  problems.push(...duplicateNameProblems(validations), ...contradictionProblems(candidates));

  const files = sources.map((source) => source.file);
  const invalidFiles = files.filter((file) => problems.some((p) => p.file === file && p.severity === 'error'));
  const invalid = new Set(invalidFiles);
  return {
    policies: candidates.filter((policy) => !invalid.has(policy.source.file)),
    problems: sortProblems(problems),
    invalidFiles,
    files,
    frozenResources: sources.filter((source) => invalid.has(source.file)).flatMap((source) => resourceIdsIn(source.text).map((id) => ({ id, file: source.file }))),
  };
}

const MAX_SCANNED_BYTES = 64 * 1024 * 1024;

/** App and subnet ids written anywhere in a text, even one that does not parse. */
const RESOURCE_ID_IN_TEXT =
  /\/subscriptions\/[^/\s'"]+\/resourceGroups\/[^/\s'"]+\/providers\/(?:Microsoft\.Web\/sites|Microsoft\.Network\/virtualNetworks\/[^/\s'"]+\/subnets)\/[^/\s'",}\]#]+/gi;

export function resourceIdsIn(text: string, options: { yaml?: boolean } = {}): string[] {
  const found = [...text.matchAll(RESOURCE_ID_IN_TEXT)].map((match) => match[0]);
  if (options.yaml === false) return [...new Set(found.map(canonicalId))];
  // Where the text is YAML, its string values too: an id folded or escaped across lines only
  // shows up whole once parsed. Parse errors are ignored here; aliases are not expanded.
  try {
    for (const document of parseAllDocuments(text, { schema: 'core', prettyErrors: false })) {
      visit(document, {
        Scalar(_key, node) {
          if (typeof node.value === 'string') found.push(...[...node.value.matchAll(RESOURCE_ID_IN_TEXT)].map((match) => match[0]));
        },
      });
    }
  } catch {
    // the regex over the raw text above still applies
  }
  return [...new Set(found.map(canonicalId))];
}

async function policyFilesUnder(directory: string): Promise<string[]> {
  const found: string[] = [];
  // Symlinked folders are followed (a policy skipped silently could let another policy remove
  // what it protects); each real folder is walked once, so links cannot loop.
  const visited = new Set<string>();
  const walk = async (current: string): Promise<void> => {
    const real = await realpath(current);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries) {
      const full = path.join(current, entry.name);
      const target = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : entry;
      if (target?.isDirectory()) {
        if (entry.name.startsWith('.') || SKIPPED_DIRECTORIES.has(entry.name)) continue;
        if (entry.name === 'schema' && (current === directory || path.basename(current) === 'policies')) continue;
        await walk(full);
      } else if (POLICY_EXTENSIONS.has(path.extname(entry.name).toLowerCase()) && (target?.isFile() || !target)) {
        // A dangling link is listed too: reading it fails, which is reported and freezes writes.
        found.push(full);
      }
    }
  };
  await walk(directory);
  return found.sort();
}

function readProblem(file: string, error: unknown): PolicyProblem {
  const code = (error as NodeJS.ErrnoException).code;
  return fileProblem(file, code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${(error as Error).message}`);
}

export function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return [...problems].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}
