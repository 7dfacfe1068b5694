/**
 * Policy input fails closed on anything a repository can hold: other encodings, huge or
 * deeply nested files, special files, links, unreadable folders, secrets in bad values.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { formatProblems } from '../../src/reconciler/policy/format';
import { loadPolicies, loadPolicyText } from '../../src/reconciler/policy/load';
import { resourcesNamedIn } from '../../src/reconciler/policy/namedResources';
import { EVERY_RESOURCE } from '../../src/reconciler/policy/types';
import { applyModes } from '../../src/reconciler/modes';
import { diff } from '../../src/reconciler/diff';
import { NOW, policy, World } from '../support/world';
import { ORDERS_WEB, PAYMENTS_FUNC, REPO_ROOT, SUBNET_APPS, policyYaml } from './helpers';

const canonical = (id: string) => id.toLowerCase();
const VNET_HUB = SUBNET_APPS.slice(0, SUBNET_APPS.indexOf('/subnets/'));

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'lockdown-closed-'));
});
afterEach(() => rmSync(directory, { recursive: true, force: true }));

const write = (name: string, content: string | Buffer) => {
  const file = path.join(directory, name);
  writeFileSync(file, content);
  return file;
};
const frozenIds = (loaded: { frozenResources: { id: string }[] }) => loaded.frozenResources.map((resource) => resource.id);

function utf16be(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf16le');
  for (let i = 0; i < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1], bytes[i]];
  return bytes;
}

function utf32(text: string, littleEndian: boolean): Buffer {
  const codePoints = [...text].map((character) => character.codePointAt(0)!);
  const bytes = Buffer.alloc(codePoints.length * 4);
  codePoints.forEach((codePoint, index) => (littleEndian ? bytes.writeUInt32LE(codePoint, index * 4) : bytes.writeUInt32BE(codePoint, index * 4)));
  return bytes;
}

describe('encodings', () => {
  const encodings: [string, (text: string) => Buffer][] = [
    ['UTF-8 with a byte-order mark', (text) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ['UTF-16LE with a byte-order mark (Windows PowerShell 5 Out-File)', (text) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['UTF-16BE with a byte-order mark', (text) => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)])],
    ['UTF-32LE with a byte-order mark', (text) => Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x00]), utf32(text, true)])],
    ['UTF-32BE with a byte-order mark', (text) => Buffer.concat([Buffer.from([0x00, 0x00, 0xfe, 0xff]), utf32(text, false)])],
  ];

  it.each(encodings)('reads a policy saved as %s', async (_name, encode) => {
    const file = write('p.yaml', encode(policyYaml('encoded', '  # déjà vu ✓\n')));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies.map((p) => p.name)).toEqual(['encoded']);
  });

  it.each(encodings)('validates a policy saved as %s normally, and freezes what it names when invalid', async (_name, encode) => {
    const file = write('p.yaml', encode(policyYaml('encoded').replace('callers:', 'calers:')));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems).toEqual([expect.objectContaining({ line: 7, path: 'spec.calers', message: expect.stringContaining("unknown field 'calers'") })]);
    expect(frozenIds(loaded).sort()).toEqual([ORDERS_WEB, PAYMENTS_FUNC, SUBNET_APPS].map(canonical).sort());
  });

  it('freezes every write for a file that is not valid UTF-8 and has no byte-order mark', async () => {
    const file = write('latin1.yaml', Buffer.from(policyYaml('latin').replace('callers:', '# caf\u00e9\n  callers:'), 'latin1'));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems).toEqual([expect.objectContaining({ file, line: 1, message: expect.stringMatching(/^the file is not valid UTF-8 and has no byte-order mark; .*nothing is written/) })]);
    expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file }]);
  });

  it('freezes every write for UTF-16 without a byte-order mark, pointing at the first NUL', async () => {
    const file = write('utf16.yaml', Buffer.from(policyYaml('wide'), 'utf16le'));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems).toEqual([expect.objectContaining({ line: 1, column: 2, message: expect.stringContaining('U+0000'), hint: expect.stringContaining('UTF-16 without a byte-order mark') })]);
    expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file }]);
  });

  it('freezes every write for a byte-order mark followed by something else', async () => {
    const file = write('odd.yaml', Buffer.from([0xfe, 0xff, 0x00, 0x61, 0xd8]));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems[0].message).toMatch(/^the file is not valid UTF-16BE/);
    expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file }]);
  });
});

describe('ids an invalid file names, however they are spelt', () => {
  const [, prefix, name] = /^(.*\/)([^/]+)$/.exec(PAYMENTS_FUNC)!;
  const spellings: [string, string][] = [
    ['\\x2F escapes', `"${PAYMENTS_FUNC.replace(/\//g, '\\x2F')}"`],
    ['\\u002F escapes', `"${PAYMENTS_FUNC.replace(/\//g, '\\u002F')}"`],
    ['\\U0000002F escapes and an escaped letter', `"${PAYMENTS_FUNC.replace(/\//g, '\\U0000002F').replace('payments', '\\x70ayments')}"`],
    ['a double-quoted line continuation', `"${prefix}\\\n        ${name}"`],
    ['a single-quoted string folded across lines', `'${prefix}\n        ${name}'`],
    ['a plain scalar folded across lines', `${prefix}\n        ${name}`],
    ['a folded block scalar', `>-\n        ${prefix}\n        ${name}`],
    ['full-width solidi', PAYMENTS_FUNC.replace(/\//g, '\uff0f')],
    ['zero-width spaces inside', PAYMENTS_FUNC.replace('payments', 'pay\u200bments')],
    ['mixed case', PAYMENTS_FUNC.toUpperCase()],
  ];
  const invalidWith = (spelling: string) => policyYaml('spelt').replace('callers:', 'calers:').replace(`id: ${PAYMENTS_FUNC}`, `id: ${spelling}`);

  it.each(spellings)('finds an id written with %s, in a file small enough to parse', (_how, spelling) => {
    const loaded = loadPolicyText('spelt.yaml', invalidWith(spelling));
    expect(frozenIds(loaded)).toContain(canonical(PAYMENTS_FUNC));
  });

  it.each(spellings)('finds an id written with %s, in a file too large to parse (over 1 MiB)', async (_how, spelling) => {
    const file = write('large.yaml', `${invalidWith(spelling)}# ${'padding '.repeat(140_000)}\n`);
    const loaded = await loadPolicies([file]);
    expect(loaded.problems[0].message).toContain('over the limit of 1048576 bytes');
    expect(frozenIds(loaded)).toContain(canonical(PAYMENTS_FUNC));
    expect(frozenIds(loaded)).not.toContain(EVERY_RESOURCE);
  });

  it('freezes every write, and says so, when a file spells values in a way the search cannot read', async () => {
    const base64 = Buffer.from(PAYMENTS_FUNC).toString('base64');
    const file = write('binary.yaml', `${invalidWith(`!!binary ${base64}`)}# ${'padding '.repeat(140_000)}\n`);
    const loaded = await loadPolicies([file]);
    expect(loaded.frozenResources).toContainEqual({ id: EVERY_RESOURCE, file });
    expect(loaded.problems).toContainEqual(expect.objectContaining({ file, message: expect.stringContaining('cannot be established with certainty') }));
    const tagged = loadPolicyText('tag.yaml', `%TAG !e! tag:example.com,2000:\n---\n${invalidWith('!e!x abc')}`);
    expect(frozenIds(tagged)).toContain(EVERY_RESOURCE);
  });

  it('finds a virtual network id, and a virtual network freezes its subnets', () => {
    expect(resourcesNamedIn(`vnet: ${VNET_HUB}\n`).ids).toEqual([canonical(VNET_HUB)]);
    const policies = [policy()];
    const plan = applyModes(diff({ policies, observed: World.open().observed(), now: NOW }), policies, { now: NOW, frozenResources: [{ id: canonical(VNET_HUB), file: 'policies/net.yaml' }] });
    const subnetAction = plan.actions.find((action) => action.kind === 'subnet.enableAppServiceAccess')!;
    expect(subnetAction.enforcement).toMatchObject({ apply: false, reason: 'invalidPolicy', detail: expect.stringContaining('policies/net.yaml') });
    expect(plan.actions.find((action) => action.kind === 'callee.restrictAccess')!.enforcement).toEqual({ apply: true });
  });
});

describe('nesting', () => {
  const nested = `${'['.repeat(1000)}${']'.repeat(1000)}\n`;

  it('reports 1,000 nested [ as a problem with its line and column', () => {
    const loaded = loadPolicyText('nested.yaml', nested);
    expect(loaded.problems).toEqual([expect.objectContaining({ file: 'nested.yaml', line: 1, column: 65, message: 'the document is nested more than 64 levels deep' })]);
    expect(loaded.invalidFiles).toEqual(['nested.yaml']);
  });

  it('`lockdown validate` exits 1 with file:line on it, validated alone or first (the process does not abort)', () => {
    const file = write('a-nested.yaml', nested);
    write('b-good.yaml', policyYaml('good'));
    for (const args of [[file], [directory]]) {
      const result = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'src/cli/main.ts', 'validate', ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(`${file}:1:65 error: the document is nested more than 64 levels deep`);
    }
  }, 120_000); // two fresh processes on a shared machine
});

describe('a file with thousands of mistakes', () => {
  it('is refused before parsing when it holds more tokens than any policy file needs', async () => {
    const file = write('huge.yaml', 'a: b\n'.repeat(200_000));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems).toEqual([expect.objectContaining({ file, line: 10001, message: expect.stringContaining('more than 50000 YAML tokens') })]);
    expect(loaded.invalidFiles).toEqual([file]);
  });

  it('gets its first 50 problems and a count of the rest', async () => {
    const file = write('repeated.yaml', 'a: b\n'.repeat(5_000));
    const loaded = await loadPolicies([file]);
    expect(loaded.problems).toHaveLength(51);
    expect(loaded.problems[50]).toMatchObject({ file, severity: 'error', message: expect.stringMatching(/^\d+ more problems in this file are not shown$/) });
    expect(loaded.invalidFiles).toEqual([file]);
  });
});

describe('what a folder can hold', () => {
  describe('special files named *.yaml', () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

    it('reports a FIFO and a socket in a folder and freezes every write', async () => {
      const fifo = path.join(directory, 'fifo.yaml');
      execFileSync('mkfifo', [fifo]);
      const socket = path.join(directory, 'socket.yaml');
      server = createServer();
      await new Promise<void>((resolve) => server!.listen(socket, resolve));
      const loaded = await loadPolicies([directory]);
      expect(loaded.problems.map((problem) => [problem.file, problem.message.split(';')[0]])).toEqual([
        [fifo, 'refused: not a regular file (a FIFO)'],
        [socket, 'refused: not a regular file (a socket)'],
      ]);
      expect(loaded.frozenResources).toEqual([
        { id: EVERY_RESOURCE, file: fifo },
        { id: EVERY_RESOURCE, file: socket },
      ]);
    });

    it('reports a device reached through a followed link', async () => {
      symlinkSync('/dev/null', path.join(directory, 'null.yaml'));
      const loaded = await loadPolicies([directory], { followExternalLinks: true });
      expect(loaded.problems).toEqual([expect.objectContaining({ file: path.join(directory, 'null.yaml'), message: expect.stringContaining('not a regular file (a character device)') })]);
      expect(loaded.frozenResources).toEqual([{ id: EVERY_RESOURCE, file: path.join(directory, 'null.yaml') }]);
    });

    it('refuses a FIFO or /dev/zero named explicitly at once, without opening it', async () => {
      const fifo = path.join(directory, 'pipe');
      execFileSync('mkfifo', [fifo]);
      const loaded = await loadPolicies([fifo, '/dev/zero']);
      expect(loaded.problems.map((problem) => [problem.file, problem.message.split(';')[0]])).toEqual([
        ['/dev/zero', 'refused: not a regular file (a character device)'],
        [fifo, 'refused: not a regular file (a FIFO)'],
      ]);
      expect(frozenIds(loaded)).toEqual([EVERY_RESOURCE, EVERY_RESOURCE]);
    });
  });

  it('reads a file reached through a link inside the folder once', async () => {
    const real = write('a.yaml', policyYaml('once'));
    symlinkSync(real, path.join(directory, 'b.yaml'));
    const loaded = await loadPolicies([directory, real]);
    expect(loaded.files).toEqual([real]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies.map((p) => p.name)).toEqual(['once']);
  });
});

describe('what reports quote from a file', () => {
  const secretToken = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';
  const hostile = [
    'apiVersion: SECRET-IN-APIVERSION-123-and-much-more',
    'kind: LockdownPolicy',
    'metadata:',
    '  name: hostile',
    'spec:',
    `  GH_TOKEN: ${secretToken}`,
    `  mode: "enforce\\u001b[31m\\n\`\`\`\\nleaked ${secretToken}"`,
    '',
  ].join('\n');

  it('never the value of an unknown field, and at most a short escaped prefix of a bad value', () => {
    const withVersion = formatProblems(loadPolicyText('hostile.yaml', hostile).problems);
    expect(withVersion).toContain("unsupported apiVersion 'SECRET-IN-APIVER…'");
    expect(withVersion).not.toContain('SECRET-IN-APIVERS');
    const report = formatProblems(loadPolicyText('hostile.yaml', hostile.replace(/^apiVersion: .*$/m, 'apiVersion: lockdown/v1')).problems);
    expect(report).toContain("unknown field 'GH_TOKEN'");
    expect(report).toContain("invalid value 'enforce\\x1b[31m\\n\\`\\`\\`…'");
    expect(report).not.toContain(secretToken.slice(0, 12));
    expect(report).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(report).not.toMatch(/^```/m);
  });

  it('escapes control characters and backticks in file names', () => {
    const report = formatProblems(loadPolicyText('evil\n```\nname.yaml', 'a: [').problems);
    expect(report).not.toContain('```');
    expect(report.split('\n')).toHaveLength(1);
  });
});
