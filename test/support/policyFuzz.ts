/**
 * Generated policy files for the loader's fuzz properties: a valid policy, mutated the ways
 * a repository can hold it (bytes, encodings, nesting, anchors, huge scalars, control
 * characters, every YAML tag, file types, links, permissions), written to disk, with what
 * the generator knows about it: the resources it names, whether it must be invalid, and
 * whether its names cannot be told at all.
 *
 * Ids are kept as placeholders while the text is mutated, so no mutation ever cuts into
 * one: whatever else happens to the file, it still names them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';

export const SUB = '11111111-1111-1111-1111-111111111111';
const site = (group: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${group}/providers/Microsoft.Web/sites/${name}`;
export const VNET_HUB = `/subscriptions/${SUB}/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub`;
export const estate = {
  orders: site('web', 'orders-web'),
  payments: site('fn', 'payments-func'),
  legacy: site('fn', 'legacy-func'),
  inventory: site('web', 'inventory-web'),
  apps: `${VNET_HUB}/subnets/apps`,
  data: `${VNET_HUB}/subnets/data`,
};

/** Never to appear in any report: the value of an unknown field, or a bad value past its prefix. */
export const SECRET = 'ghp_SECRETd0NotEch0ThisTokenValue';

/** The default seed keeps `npm test` repeatable; LOCKDOWN_FUZZ_SEED (and _PATH) replay a failure. */
export function fuzzParameters(numRuns: number): fc.Parameters<unknown> {
  const seed = Number(process.env.LOCKDOWN_FUZZ_SEED ?? 20261201);
  return { seed, numRuns, ...(process.env.LOCKDOWN_FUZZ_PATH ? { path: process.env.LOCKDOWN_FUZZ_PATH } : {}) };
}

type Segment = string | { id: string };

type Spelling = 'plain' | 'double' | 'single' | 'x2F' | 'u002F' | 'continued' | 'upper' | 'folded';

function spell(id: string, spelling: Spelling): string {
  const cut = id.lastIndexOf('/') + 1;
  switch (spelling) {
    case 'plain':
      return id;
    case 'double':
      return `"${id}"`;
    case 'single':
      return `'${id}'`;
    case 'x2F':
      return `"${id.replace(/\//g, '\\x2F')}"`;
    case 'u002F':
      return `"${id.replace(/\//g, '\\u002F')}"`;
    case 'continued':
      return `"${id.slice(0, cut)}\\\n          ${id.slice(cut)}"`;
    case 'folded':
      return `"${id.slice(0, cut)}\n          ${id.slice(cut)}"`;
    case 'upper':
      return id.toUpperCase();
  }
}

interface Mutation {
  label: string;
  apply(segments: Segment[]): Segment[];
  /** The file is invalid whatever else happened to it. */
  invalidates: boolean;
  /** What the file names cannot be told: every write must be frozen. */
  obscures?: boolean;
}

/** Edits the text around the ids: `edit` sees one text segment at a time. */
function inText(label: string, invalidates: boolean, edit: (text: string, index: number) => string, obscures = false): Mutation {
  return { label, invalidates, obscures, apply: (segments) => segments.map((segment, index) => (typeof segment === 'string' ? edit(segment, index) : segment)) };
}

/** Adds lines right after `spec:` (first document). */
function underSpec(label: string, lines: Segment[], invalidates = true): Mutation {
  return {
    label,
    invalidates,
    apply: (segments) => {
      const index = segments.findIndex((segment) => typeof segment === 'string' && segment.includes('spec:\n'));
      if (index < 0) return [...segments, '\n', ...lines];
      const text = segments[index] as string;
      const at = text.indexOf('spec:\n') + 'spec:\n'.length;
      return [...segments.slice(0, index), text.slice(0, at), ...lines, text.slice(at), ...segments.slice(index + 1)];
    },
  };
}

const YAML_TAGS = [
  '!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq', '!!binary', '!!timestamp', '!!set', '!!omap', '!!pairs',
  '!!merge', '!!value', '!!yaml', '!', '!custom', '!<tag:yaml.org,2002:str>', '!<tag:example.com,2000:x>', '!!python/object/apply:os.system',
];
const CONTROL_CHARACTERS = ['\x00', '\x01', '\x07', '\x08', '\x0b', '\x0c', '\x1b', '\x7f', '\x80', '\x9f', '\ufffe'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constantFrom('callers:', 'callees:', 'subnet:', 'kind:', 'metadata:').map((field) =>
    inText(`misspell ${field}`, true, (text) => text.replace(field, field.replace(/l/, 'll').replace(/^(\w)/, '$1$1'))),
  ),
  fc.constant(underSpec('unknown field holding a secret', [`  GH_TOKEN: ${SECRET}\n`])),
  fc.constant(inText('apiVersion holding a secret', true, (text) => text.replace('lockdown/v1', `SECRET-${SECRET}`))),
  fc.integer({ min: 1, max: 3000 }).map((depth) => underSpec(`${depth} nested [`, [`  deep: ${'['.repeat(depth)}${']'.repeat(depth)}\n`])),
  fc.integer({ min: 1, max: 3000 }).map((depth) => underSpec(`${depth} unclosed {`, [`  deep: ${'{a: '.repeat(depth)}\n`])),
  fc.integer({ min: 1, max: 400 }).map((depth) => underSpec(`${depth} nested block lists`, [`  deep:\n${Array.from({ length: depth }, (_, i) => `${' '.repeat(4 + i)}- `).join('\n')}x\n`])),
  fc.integer({ min: 1, max: 10 }).map((levels) =>
    underSpec(`alias bomb of ${levels} levels`, [
      `  a0: &a0 [x, x, x, x, x, x, x, x, x]\n`,
      ...Array.from({ length: levels }, (_, i) => `  a${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]\n`),
    ]),
  ),
  fc.constant(underSpec('an alias to an undefined anchor', ['  x: *nowhere\n'])),
  fc.constantFrom(10, 5_000, 1_100_000).map((size) => ({
    label: `a scalar of ${size} characters`,
    // Over the size limit the file is refused; below it a description is a valid field.
    invalidates: size > 1024 * 1024,
    apply: (segments: Segment[]) => segments.map((segment) => (typeof segment === 'string' ? segment.replace('metadata:\n', `metadata:\n  description: "${'d'.repeat(size)}"\n`) : segment)),
  })),
  fc.tuple(fc.constantFrom(...CONTROL_CHARACTERS), fc.nat(), fc.nat()).map(([character, segment, offset]) => ({
    label: `control character U+${character.charCodeAt(0).toString(16)}`,
    invalidates: true,
    obscures: true,
    apply: (segments: Segment[]) => {
      const texts = segments.flatMap((s, index) => (typeof s === 'string' ? [index] : []));
      const target = texts[segment % texts.length];
      return segments.map((s, index) => (index === target && typeof s === 'string' ? `${s.slice(0, offset % (s.length + 1))}${character}${s.slice(offset % (s.length + 1))}` : s));
    },
  })),
  fc.tuple(fc.constantFrom(...YAML_TAGS), fc.constantFrom('mode: ', 'spec:', '    - ', 'name: ', 'kind: ')).map(([tag, before]) =>
    inText(`tag ${tag} after '${before}'`, false, (text) => text.replace(before, before.endsWith(':') ? `${before} ${tag}` : `${before}${tag} `)),
  ),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat()).map(([bytes, offset]) => ({
    label: `bytes ${Buffer.from(bytes).toString('hex')}`,
    invalidates: false,
    // Stored as latin1 code points here; the file is written byte for byte (see writeCase).
    apply: (segments: Segment[]) => {
      const texts = segments.flatMap((s, index) => (typeof s === 'string' ? [index] : []));
      const target = texts[offset % texts.length];
      return segments.map((s, index) => {
        if (index !== target || typeof s !== 'string') return s;
        const at = offset % (s.length + 1);
        return `${s.slice(0, at)}${RAW_START}${Buffer.from(bytes).toString('latin1')}${RAW_END}${s.slice(at)}`;
      });
    },
  })),
  fc.constant(inText('a second, empty document', false, (text, index) => (index === 0 ? `---\n# nothing here\n---\n${text}` : text))),
  fc.constant(inText('tabs for indentation', true, (text) => text.replace('\n  callers:', '\n\tcallers:'))),
  fc.constant(inText('a duplicate key', true, (text) => text.replace('kind: LockdownPolicy\n', 'kind: LockdownPolicy\nkind: LockdownPolicy\n'))),
  fc.constant(underSpec('a virtual network id in an unknown field', ['  network: ', { id: VNET_HUB }, '\n'])),
).map((each) => Object.assign(each, { [fc.toStringMethod]: () => each.label }));

/** Raw bytes inside a text segment, written as they are whatever the encoding. */
const RAW_START = '\uE000';
const RAW_END = '\uE001';

type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be' | 'utf-16le-no-bom' | 'latin1';
/** Encodings a file can be read in; the others must freeze every write. */
const UNREADABLE_ENCODINGS = new Set<Encoding>(['utf-16le-no-bom', 'latin1']);

type Charset = 'utf-8' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be' | 'latin1';
const ENCODINGS: Record<Encoding, { charset: Charset; bom: number[] }> = {
  'utf-8': { charset: 'utf-8', bom: [] },
  'utf-8-bom': { charset: 'utf-8', bom: [0xef, 0xbb, 0xbf] },
  'utf-16le': { charset: 'utf-16le', bom: [0xff, 0xfe] },
  'utf-16be': { charset: 'utf-16be', bom: [0xfe, 0xff] },
  'utf-32le': { charset: 'utf-32le', bom: [0xff, 0xfe, 0, 0] },
  'utf-32be': { charset: 'utf-32be', bom: [0, 0, 0xfe, 0xff] },
  'utf-16le-no-bom': { charset: 'utf-16le', bom: [] },
  latin1: { charset: 'latin1', bom: [] },
};

function encode(text: string, charset: Charset): Buffer {
  if (charset === 'utf-8' || charset === 'latin1' || charset === 'utf-16le') return Buffer.from(text, charset === 'utf-16le' ? 'utf16le' : charset);
  if (charset === 'utf-16be') {
    const bytes = Buffer.from(text, 'utf16le');
    for (let i = 0; i + 1 < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1], bytes[i]];
    return bytes;
  }
  const points = [...text].map((c) => c.codePointAt(0)!);
  const bytes = Buffer.alloc(points.length * 4);
  points.forEach((p, i) => (charset === 'utf-32le' ? bytes.writeUInt32LE(p, i * 4) : bytes.writeUInt32BE(p, i * 4)));
  return bytes;
}

type FileKind = 'regular' | 'inFolderNamedYaml' | 'linkInside' | 'linkOutside' | 'danglingLink' | 'fifo' | 'noPermissions';

export interface PolicyCase {
  mutations: Mutation[];
  spellings: Spelling[];
  encoding: Encoding;
  kind: FileKind;
  followExternalLinks: boolean;
  policy: { name: string; subnet: string; callers: string[]; callees: string[]; mode: string };
}

export const policyCase: fc.Arbitrary<PolicyCase> = fc.record({
  mutations: fc.array(mutation, { maxLength: 3 }),
  spellings: fc.array(fc.constantFrom<Spelling>('plain', 'double', 'single', 'x2F', 'u002F', 'continued', 'upper', 'folded'), { minLength: 6, maxLength: 6 }),
  encoding: fc.constantFrom<Encoding>('utf-8', 'utf-8', 'utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'utf-32le', 'utf-32be', 'utf-16le-no-bom', 'latin1'),
  kind: fc.constantFrom<FileKind>('regular', 'regular', 'regular', 'inFolderNamedYaml', 'linkInside', 'linkOutside', 'danglingLink', 'fifo', 'noPermissions'),
  followExternalLinks: fc.boolean(),
  policy: fc.record({
    name: fc.constantFrom('inventory-to-payments', 'fuzzed', 'a'),
    subnet: fc.constantFrom(estate.data, estate.apps),
    callers: fc.constantFrom([estate.inventory], [estate.inventory, estate.legacy]),
    callees: fc.constantFrom([estate.payments], [estate.payments, estate.orders]),
    mode: fc.constantFrom('enforce', 'audit'),
  }),
});

function segmentsOf(policy: PolicyCase['policy']): Segment[] {
  return [
    `apiVersion: lockdown/v1\nkind: LockdownPolicy\nmetadata:\n  name: ${policy.name}\nspec:\n  mode: ${policy.mode}\n  subnet: `,
    { id: policy.subnet },
    '\n  callers:\n',
    ...policy.callers.flatMap((id): Segment[] => ['    - ', { id }, '\n']),
    '  callees:\n',
    ...policy.callees.flatMap((id): Segment[] => ['    - id: ', { id }, '\n']),
  ];
}

export interface WrittenCase {
  /** The path the loader reports the file under. */
  file: string;
  /** Canonical ids the file names. */
  names: string[];
  mustBeInvalid: boolean;
  /** The loader cannot tell what the file names: every write must be frozen. */
  obscured: boolean;
  /** Nothing about the file is odd: it must load as a valid policy. */
  clean: boolean;
  bytes: number;
  describe: string;
}

/** Writes the case into `folder` (the policy folder) and `outside` (a folder next to it). */
export function writeCase(testCase: PolicyCase, folder: string, outside: string): WrittenCase {
  let segments = segmentsOf(testCase.policy);
  for (const each of testCase.mutations) segments = each.apply(segments);
  let spellingIndex = 0;
  const names = new Set<string>();
  const text = segments
    .map((segment) => {
      if (typeof segment === 'string') return segment;
      names.add(segment.id.toLowerCase());
      return spell(segment.id, testCase.spellings[spellingIndex++ % testCase.spellings.length]);
    })
    .join('');
  const withComment = testCase.encoding === 'latin1' ? `# café\n${text}` : text;
  // Raw byte runs go in as they are; the text around them in the file's encoding.
  const parts = withComment.split(new RegExp(`${RAW_START}|${RAW_END}`));
  const { charset, bom } = ENCODINGS[testCase.encoding];
  const body = Buffer.concat([Buffer.from(bom), ...parts.map((part, index) => (index % 2 === 1 ? Buffer.from(part, 'latin1') : encode(part, charset)))]);

  const name = 'fuzzed.yaml';
  let file = path.join(folder, name);
  const kind = testCase.kind;
  if (kind === 'regular' || kind === 'noPermissions') {
    writeFileSync(file, body);
    if (kind === 'noPermissions') chmodSync(file, 0);
  } else if (kind === 'inFolderNamedYaml') {
    mkdirSync(path.join(folder, 'team.yaml'));
    file = path.join(folder, 'team.yaml', name);
    writeFileSync(file, body);
  } else if (kind === 'linkInside') {
    mkdirSync(path.join(folder, '.store'));
    writeFileSync(path.join(folder, '.store', 'real.yaml'), body);
    symlinkSync(path.join(folder, '.store', 'real.yaml'), file);
  } else if (kind === 'linkOutside') {
    writeFileSync(path.join(outside, name), body);
    symlinkSync(path.join(outside, name), file);
  } else if (kind === 'danglingLink') {
    symlinkSync(path.join(outside, 'missing.yaml'), file);
  } else {
    execFileSync('mkfifo', [file]);
  }

  const labels = testCase.mutations.map((each) => each.label);
  const unreadableKind =
    kind === 'danglingLink' || kind === 'fifo' || (kind === 'linkOutside' && !testCase.followExternalLinks) || (kind === 'noPermissions' && process.getuid?.() !== 0);
  const contentRead = kind !== 'danglingLink' && kind !== 'fifo';
  const byteMutation = labels.some((label) => label.startsWith('bytes') || label.startsWith('tag'));
  const obscured = unreadableKind || (contentRead && (UNREADABLE_ENCODINGS.has(testCase.encoding) || testCase.mutations.some((each) => each.obscures)));
  // A line break inside double quotes folds to a space: no id has one.
  const folded = testCase.spellings.slice(0, spellingIndex).includes('folded');
  const mustBeInvalid = obscured || folded || testCase.mutations.some((each) => each.invalidates);
  return {
    file,
    names: [...names],
    mustBeInvalid,
    obscured,
    clean: !mustBeInvalid && !byteMutation,
    bytes: body.length,
    describe: `${kind} ${testCase.encoding}${testCase.followExternalLinks ? ' following links' : ''}: ${labels.join(', ') || 'unmutated'}`,
  };
}

/** A policy folder and a folder beside it, removed by `dispose`. */
export function caseFolders(): { folder: string; outside: string; dispose(): void } {
  const root = mkdtempSync(path.join(tmpdir(), 'lockdown-fuzz-'));
  const folder = path.join(root, 'policies');
  const outside = path.join(root, 'elsewhere');
  mkdirSync(folder);
  mkdirSync(outside);
  return { folder, outside, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Whether a frozen set keeps every write off `id`: the id itself, its virtual network, or everything. */
export function isFrozen(frozen: ReadonlySet<string>, id: string): boolean {
  const subnet = /^(.*\/virtualnetworks\/[^/]+)\/subnets\/[^/]+$/.exec(id);
  return frozen.has('*') || frozen.has(id) || (subnet !== null && frozen.has(subnet[1]));
}
