/**
 * Safe parsing of untrusted policy YAML into a small tree that remembers where every node
 * came from. Plain YAML 1.2 core schema only: no custom tags, no merge keys, no timestamps;
 * aliases are allowed but bounded, keys must be unique, the file size is capped up front.
 */

import { Alias, Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Node as YamlLibraryNode, YAMLError } from 'yaml';
import { firstOutOfBounds } from './yamlBounds';
import { escapeText, quoteValue } from './quote';
import type { PolicyProblem } from './types';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
/** Aliases a document may expand; far above what a policy needs, far below a bomb. */
export const DEFAULT_MAX_ALIAS_COUNT = 100;
export const MAX_DEPTH = 64;
/** Nodes in one document after alias expansion: a second line of defence against bombs. */
const MAX_NODES = 20_000;
/** Lexer tokens (values, indicators, line breaks) in one file; parsing is stopped before it starts past this. */
export const MAX_TOKENS = 50_000;

const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((name) => `tag:yaml.org,2002:${name}`),
);

export interface Position {
  line: number;
  column: number;
}

export interface YamlScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  /** The text as written, for hints such as "quote it". */
  source: string;
  position: Position;
}

export interface YamlEntry {
  key: string;
  keyPosition: Position;
  value: YamlNode;
}

export interface YamlMapping {
  kind: 'mapping';
  entries: YamlEntry[];
  position: Position;
}

export interface YamlSequence {
  kind: 'sequence';
  items: YamlNode[];
  position: Position;
}

export type YamlNode = YamlScalar | YamlMapping | YamlSequence;

export interface ParsedDocument {
  /** 0-based index of the document in its file (counting empty ones). */
  index: number;
  position: Position;
  /** The document's mapping, or undefined when it is unusable (syntax error, bomb, not a mapping). */
  root?: YamlMapping;
  /** Problems found while parsing this document. */
  problems: PolicyProblem[];
}

export interface ParsedFile {
  file: string;
  documents: ParsedDocument[];
  /** Problems that belong to the file as a whole (too large). */
  problems: PolicyProblem[];
}

export interface ParsePolicyYamlOptions {
  maxFileBytes?: number;
  maxAliasCount?: number;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** An error about a file as a whole, reported at its first line. */
export function fileProblem(file: string, message: string, hint?: string): PolicyProblem {
  return { severity: 'error', file, line: 1, column: 1, path: '', message, ...(hint ? { hint } : {}) };
}

export function fileTooLargeProblem(file: string, bytes: number, maxFileBytes: number): PolicyProblem {
  return fileProblem(
    file,
    `the file is ${bytes} bytes, over the limit of ${maxFileBytes} bytes (${formatBytes(maxFileBytes)}); it was not parsed`,
    'split the policies into several files',
  );
}

/** Parses every YAML document of a policy file. Never throws on bad input. */
export function parsePolicyYaml(file: string, text: string, options: ParsePolicyYamlOptions = {}): ParsedFile {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxAliasCount = options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxFileBytes) {
    return { file, documents: [], problems: [fileTooLargeProblem(file, bytes, maxFileBytes)] };
  }

  const outOfBounds = firstOutOfBounds(text, { maxDepth: MAX_DEPTH, maxTokens: MAX_TOKENS });
  if (outOfBounds) {
    const { line, column } = positionIn(text, outOfBounds.offset);
    const message =
      outOfBounds.bound === 'depth'
        ? `the document is nested more than ${MAX_DEPTH} levels deep`
        : `the file has more than ${MAX_TOKENS} YAML tokens (values, indicators, line breaks); it was not parsed`;
    return { file, documents: [], problems: [{ severity: 'error', file, line, column, path: '', message, hint: outOfBounds.bound === 'depth' ? NESTING_HINT : 'split the policies into several files' }] };
  }

  const lineCounter = new LineCounter();
  let documents: Document.Parsed[];
  try {
    const parsed = parseAllDocuments(text, {
      // Pin the schema even when a `%YAML 1.1` directive asks for timestamps and merge keys.
      schema: 'core',
      merge: false,
      resolveKnownTags: false,
      // Checked below, so both positions can be reported.
      uniqueKeys: false,
      prettyErrors: false,
      lineCounter,
    });
    documents = Array.isArray(parsed) ? parsed : [];
  } catch (error) {
    // The parser is not expected to throw, but a pathological input (e.g. deep nesting) may.
    return {
      file,
      documents: [],
      problems: [
        {
          severity: 'error',
          file,
          line: 1,
          column: 1,
          path: '',
          message: `cannot parse the file: ${escapeText((error as Error).message)}`,
        },
      ],
    };
  }

  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  return {
    file,
    problems: [],
    documents: documents
      .map((document, index) => parseDocument(file, document, index, at, maxAliasCount))
      .filter((document): document is ParsedDocument => document !== undefined),
  };
}

function parseDocument(
  file: string,
  document: Document.Parsed,
  index: number,
  at: (offset: number) => Position,
  maxAliasCount: number,
): ParsedDocument | undefined {
  const start = document.range ? document.range[0] : 0;
  const position = at(document.contents?.range ? document.contents.range[0] : start);
  const problems: PolicyProblem[] = [];
  const problemAt = (offset: number, message: string, hint?: string, path = ''): PolicyProblem => ({
    severity: 'error',
    file,
    ...at(offset),
    path,
    message,
    ...(hint ? { hint } : {}),
  });

  for (const error of document.errors) problems.push(problemAt(error.pos[0], yamlMessage(error)));
  const tagWarnings: YAMLError[] = [];
  for (const warning of document.warnings) {
    if (warning.code === 'TAG_RESOLVE_FAILED') tagWarnings.push(warning);
    else problems.push({ ...problemAt(warning.pos[0], yamlMessage(warning)), severity: 'warning' });
  }

  const contents = document.contents;
  if (contents === null || (isScalar(contents) && contents.value === null && !contents.tag)) {
    // An empty document (only comments, or `---` twice): nothing to validate.
    return problems.length > 0 ? { index, position, problems } : undefined;
  }
  if (document.errors.length > 0) return { index, position, problems };

  try {
    // Expands aliases with the library's own budget check; the value itself is not used.
    document.toJS({ maxAliasCount, mapAsMap: true });
  } catch (error) {
    if ((error as Error).name === 'ReferenceError' || /alias/i.test((error as Error).message)) {
      problems.push(
        problemAt(
          contents.range?.[0] ?? start,
          `the document expands too many aliases (more than ${maxAliasCount}); this looks like an alias bomb`,
          'write the values out instead of repeating *aliases',
        ),
      );
    } else {
      problems.push(problemAt(contents.range?.[0] ?? start, `cannot read the document: ${(error as Error).message}`));
    }
    return { index, position, problems };
  }

  const builder = new TreeBuilder(document, at, tagWarnings, problemAt);
  const root = builder.build(contents as YamlLibraryNode, '', 0);
  for (const problem of builder.problems) problems.push(problem);
  for (const warning of tagWarnings) {
    // A tag the walk did not reach (on a key, say): still an error.
    problems.push(problemAt(warning.pos[0], `${tagName(warning)} is not allowed`, TAG_HINT));
  }
  if (builder.aborted) return { index, position, problems };
  if (!root || root.kind !== 'mapping') {
    problems.push(
      problemAt(
        contents.range?.[0] ?? start,
        `a policy document must be a mapping (apiVersion, kind, metadata, spec), got ${root ? `a ${root.kind}` : 'nothing'}`,
        'start the document with `apiVersion: lockdown/v1`',
      ),
    );
    return { index, position, problems };
  }
  return { index, position, root, problems };
}

const NESTING_HINT = 'a policy is a few dozen values; check the file is what you meant';

/** 1-based line and column of an offset, counting CR, LF and CRLF as one break each. */
export function positionIn(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    const character = text.charCodeAt(i);
    if (character === 10 || (character === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

const TAG_HINT = 'policies are plain YAML: remove the tag (only the core tags !!str, !!int, !!float, !!bool, !!null, !!map, !!seq are allowed)';

function tagName(warning: YAMLError): string {
  const match = /Unresolved tag: (\S+)/.exec(warning.message);
  return match ? `the tag ${escapeText(shortTag(match[1]), 40)}` : 'a custom tag';
}

function shortTag(tag: string): string {
  if (tag.startsWith('tag:yaml.org,2002:')) return `!!${tag.slice('tag:yaml.org,2002:'.length)}`;
  return tag.startsWith('!') ? tag : `!<${tag}>`;
}

/**
 * The library's message without the position suffix it sometimes carries. What follows
 * its first ': ' is often a piece of the file, so only a short prefix of it is kept.
 */
function yamlMessage(error: YAMLError): string {
  const first = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const split = first.indexOf(': ');
  const head = split < 0 ? first : first.slice(0, split);
  const detail = split < 0 ? '' : `: ${quoteValue(first.slice(split + 2))}`;
  return `YAML syntax: ${escapeText(`${head.charAt(0).toLowerCase()}${head.slice(1)}`)}${detail}`;
}

class TreeBuilder {
  readonly problems: PolicyProblem[] = [];
  aborted = false;
  private nodes = 0;

  constructor(
    private readonly document: Document.Parsed,
    private readonly at: (offset: number) => Position,
    private readonly tagWarnings: YAMLError[],
    private readonly problemAt: (offset: number, message: string, hint?: string, path?: string) => PolicyProblem,
  ) {}

  build(node: YamlLibraryNode | null | undefined, path: string, depth: number): YamlNode | undefined {
    if (this.aborted) return undefined;
    if (node === null || node === undefined) {
      return { kind: 'scalar', value: null, source: '', position: { line: 0, column: 0 } };
    }
    const offset = node.range?.[0] ?? 0;
    if (++this.nodes > MAX_NODES || depth > MAX_DEPTH) {
      this.aborted = true;
      this.problems.push(
        this.problemAt(
          offset,
          depth > MAX_DEPTH
            ? `the document is nested more than ${MAX_DEPTH} levels deep`
            : `the document has more than ${MAX_NODES} values (after expanding aliases)`,
          NESTING_HINT,
          path,
        ),
      );
      return undefined;
    }

    if (isAlias(node)) {
      const target = (node as Alias).resolve(this.document);
      const built = this.build(target as YamlLibraryNode | undefined, path, depth + 1);
      // Point at the alias, where the value is used; children keep the anchor's positions.
      return built ? { ...built, position: this.at(offset) } : undefined;
    }

    this.checkTag(node, offset, path);
    const position = this.at(offset);

    if (isScalar(node)) {
      const value = node.value;
      const scalar: YamlScalar['value'] =
        typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === null
          ? value
          : String(value);
      return { kind: 'scalar', value: scalar, source: node.source ?? String(value), position };
    }

    if (isSeq(node)) {
      const items: YamlNode[] = [];
      node.items.forEach((item, index) => {
        const built = this.build(item as YamlLibraryNode, `${path}[${index}]`, depth + 1);
        if (built) items.push(built);
      });
      return { kind: 'sequence', items, position };
    }

    if (isMap(node)) {
      const entries: YamlEntry[] = [];
      const seen = new Map<string, Position>();
      for (const pair of node.items) {
        const keyNode = pair.key as YamlLibraryNode | null;
        const keyOffset = keyNode?.range?.[0] ?? offset;
        const keyPosition = this.at(keyOffset);
        let key: string;
        if (keyNode && isScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== 'object') {
          this.checkTag(keyNode, keyOffset, path);
          key = String(keyNode.value);
        } else {
          this.problems.push(
            this.problemAt(keyOffset, 'keys must be plain names', 'write `name: value`', path),
          );
          continue;
        }
        const childPath = path ? `${path}.${key}` : key;
        const first = seen.get(key);
        if (first) {
          this.problems.push(
            this.problemAt(
              keyOffset,
              `duplicate key ${quoteValue(key)} (first defined at line ${first.line}, column ${first.column})`,
              'YAML keys must be unique in a mapping: keep one of the two',
              childPath,
            ),
          );
          continue;
        }
        seen.set(key, keyPosition);
        const value = this.build(pair.value as YamlLibraryNode | null, childPath, depth + 1);
        if (!value) continue;
        // `key:` with nothing after it: point at the key.
        const empty = value.kind === 'scalar' && value.value === null && value.source === '';
        const valuePosition = pair.value && !empty ? value.position : keyPosition;
        entries.push({ key, keyPosition, value: { ...value, position: valuePosition } });
      }
      return { kind: 'mapping', entries, position };
    }

    this.problems.push(this.problemAt(offset, 'unsupported YAML node', undefined, path));
    return undefined;
  }

  private checkTag(node: YamlLibraryNode, offset: number, path: string): void {
    const tag = node.tag;
    if (!tag || CORE_TAGS.has(tag)) return;
    // The library warned about it; use the warning's position, which is the tag itself.
    let index = -1;
    for (let i = 0; i < this.tagWarnings.length; i++) {
      if (this.tagWarnings[i].pos[0] <= offset && (index < 0 || this.tagWarnings[i].pos[0] > this.tagWarnings[index].pos[0])) {
        index = i;
      }
    }
    const tagOffset = index >= 0 ? this.tagWarnings.splice(index, 1)[0].pos[0] : offset;
    this.problems.push(this.problemAt(tagOffset, `the tag ${escapeText(shortTag(tag), 40)} is not allowed`, TAG_HINT, path));
  }
}
