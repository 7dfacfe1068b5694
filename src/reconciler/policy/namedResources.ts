/**
 * The resources a policy file names, found in its text whatever its structure and however
 * an id is spelt: plain, quoted, folded across lines, written with YAML escapes (`\x2F`,
 * `\u002F`), in full-width characters or with invisible ones in between. An invalid file
 * protects what it names: nothing is written to those resources until it is fixed, so a
 * typo never turns into the removal of what its policy protects.
 *
 * The search is lexical (no YAML parse), so it works the same on a file too large or too
 * broken to parse. Where a spelling exists that the search cannot read (base64 under
 * `!!binary`, tags rewritten by `%TAG`), the names are not certain and the caller freezes
 * every write instead.
 */

import { canonicalId } from '../resourceId';

export interface NamedResources {
  /** Canonical (lower-cased) ids of apps, virtual networks and subnets. */
  ids: string[];
  /** Why the ids found may not be all the file names; undefined when they are. */
  uncertain?: string;
}

/** App, virtual network and subnet ids. Name characters are the ones ARM allows, so an id ends where its name does. */
const RESOURCE_ID_IN_TEXT =
  /\/subscriptions\/[\w-]+\/resourceGroups\/[-\w.()]+\/providers\/(?:Microsoft\.Web\/sites\/[a-z0-9-]+|Microsoft\.Network\/virtualNetworks\/[\w.-]+(?:\/subnets\/[\w.-]+)?)/gi;

/** Spellings the search cannot decode. */
const UNREADABLE_SPELLINGS: readonly { pattern: RegExp; reason: string }[] = [
  { pattern: /^%TAG\b/m, reason: 'a %TAG directive can spell values in ways the search for ids cannot read' },
  { pattern: /(?:^|[\s,[{])!(?:<[^>\s]*>|[\w-]*!?)[^\s]*?(?:binary|%)/im, reason: 'a binary or percent-encoded tag can spell values in ways the search for ids cannot read' },
];

/** YAML double-quoted escapes, read left to right so `\\` stays a backslash. */
const YAML_ESCAPE = /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|\r?\n[ \t]*|[\s\S])/g;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ',
  '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};

const CONTINUED_LINE = /[ \t]*(?:\r\n|\r|\n)\s*(?![-?](?:\s|$)|[^\s:#]*:(?:\s|$)|#|$)/g;

function decodeEscapes(text: string): string {
  return text.replace(YAML_ESCAPE, (whole, escape: string) => {
    if (/^[xuU]/.test(escape) && escape.length > 1) {
      const codePoint = Number.parseInt(escape.slice(1), 16);
      return codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : whole;
    }
    if (escape.startsWith('\n') || escape.startsWith('\r')) return '';
    return SIMPLE_ESCAPES[escape] ?? whole;
  });
}

/** Compatibility forms folded (full-width `／` is `/`), invisible and control characters dropped. */
function normalize(text: string): string {
  return text.normalize('NFKC').replace(/[\p{Cf}\p{Cc}]/gu, (character) => (/\s/.test(character) ? character : ''));
}

export function resourcesNamedIn(text: string): NamedResources {
  const spellings = new Set<string>([text]);
  const decoded = text.includes('\\') ? decodeEscapes(text) : text;
  for (const spelling of [text, decoded]) {
    const normalized = normalize(spelling);
    spellings.add(spelling).add(normalized);
    // An id folded across lines reads whole once each line that continues a value is joined
    // to the one before (a line that starts an entry, a list item or a comment is not).
    spellings.add(normalized.replace(CONTINUED_LINE, ''));
  }
  const ids = new Set<string>();
  for (const spelling of spellings) for (const match of spelling.matchAll(RESOURCE_ID_IN_TEXT)) ids.add(canonicalId(match[0]));
  const unreadable = UNREADABLE_SPELLINGS.find((candidate) => candidate.pattern.test(text));
  return { ids: [...ids], ...(unreadable ? { uncertain: unreadable.reason } : {}) };
}

/** The ids alone, for tests and tools. */
export function resourceIdsIn(text: string): string[] {
  return resourcesNamedIn(text).ids;
}
