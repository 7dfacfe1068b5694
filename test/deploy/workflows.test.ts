/** The GitOps workflows: they parse, and every command they run exists. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_PACKAGE_PATH } from '../../scripts/package';
import { runCli } from '../../src/cli/main';

const root = path.resolve(__dirname, '../..');
const WORKFLOWS = ['lockdown-plan.yml', 'lockdown-deploy.yml'];
const scripts = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
/** Actions, at the major versions the workflows are written for. */
const ACTIONS = ['actions/checkout@v4', 'actions/setup-node@v4', 'azure/login@v2'];
/** Programs a GitHub-hosted Ubuntu runner has, and shell words. */
const RUNNER_PROGRAMS = ['az', 'gh', 'git', 'test', 'printf', 'echo', 'cat', 'head', 'set', 'if', 'then', 'else', 'fi'];

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

function steps(file: string): Step[] {
  const workflow = parse(readFileSync(path.join(root, '.github/workflows', file), 'utf8'));
  return Object.values<{ steps: Step[] }>(workflow.jobs).flatMap((job) => job.steps);
}

/** Each simple command of a run block (quoted text blanked, `$(...)` opened): split on lines, `;`, `&&`, `||` and `|`. */
function commands(run: string): string[][] {
  return run
    .split('\n')
    .map((line) => line.replace(/'[^']*'|"[^"]*"/g, 'QUOTED').replace(/\s#.*$/, ''))
    .flatMap((line) => line.replace(/\w+=\$\((.*)\)/g, ';$1;').split(/;|&&|\|\||\|/))
    .map((command) => command.trim())
    .filter((command) => command && !/^\w+=\S*$/.test(command))
    .map((command) => command.split(/\s+/));
}

async function usage(): Promise<string> {
  const out: string[] = [];
  await runCli(['--help'], { stdout: (text) => out.push(text), stderr: (text) => out.push(text), env: {} });
  return out.join('\n');
}

describe.each(WORKFLOWS)('%s', (file) => {
  it('parses, with on, permissions and jobs', () => {
    const workflow = parse(readFileSync(path.join(root, '.github/workflows', file), 'utf8'));
    expect(workflow).toEqual(expect.objectContaining({ on: expect.anything(), permissions: expect.objectContaining({ 'id-token': 'write' }), jobs: expect.anything() }));
  });

  it('uses only known actions', () => {
    expect(steps(file).filter((step) => step.uses && !ACTIONS.includes(step.uses)).map((step) => step.uses)).toEqual([]);
  });

  it('runs only npm scripts, lockdown commands and options, and runner programs that exist', async () => {
    const help = await usage();
    const commandsListed = new Set([...help.matchAll(/^ {2}(\w+)/gm)].map((match) => match[1]));
    const unknown: string[] = [];
    for (const step of steps(file)) {
      for (const words of commands(step.run ?? '')) {
        const [program, ...args] = words;
        if (program === 'npm') {
          if (args[0] === 'run' && !scripts[args[1]]) unknown.push(`npm run ${args[1]}`);
          else if (!['run', 'ci'].includes(args[0])) unknown.push(`npm ${args[0]}`);
        } else if (program === 'node' && args[0] === 'bin/lockdown.js') {
          if (!commandsListed.has(args[1])) unknown.push(`lockdown ${args[1]}`);
          for (const option of args.filter((arg) => arg.startsWith('--'))) if (!help.includes(option)) unknown.push(`lockdown option ${option}`);
        } else if (!RUNNER_PROGRAMS.includes(program) && !program.startsWith('[')) unknown.push(program);
      }
    }
    expect(unknown).toEqual([]);
  });
});

it('the deploy workflow deploys the zip npm run package writes', () => {
  const run = steps('lockdown-deploy.yml').map((step) => step.run ?? '').join('\n');
  expect(run).toContain('npm run package');
  expect(run).toContain(`--src ${DEFAULT_PACKAGE_PATH}`);
  expect(steps('lockdown-deploy.yml').find((step) => step.uses === 'actions/checkout@v4')!.with).toEqual({ 'fetch-depth': 0 });
});

it('the plan workflow keeps one comment, found by its marker', () => {
  const run = steps('lockdown-plan.yml').map((step) => step.run ?? '').join('\n');
  expect(run).toContain('--method PATCH');
  expect(run.match(/<!-- lockdown-plan -->/g)!.length).toBeGreaterThanOrEqual(2);
});
