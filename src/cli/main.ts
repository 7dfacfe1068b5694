/**
 * The `lockdown` command: validate, plan, apply, schema, status, history.
 * Exit codes: 0 success (plan: no changes with --detailed-exitcode), 1 error, 2 changes
 * present (plan --detailed-exitcode only).
 */
import { parseArgs } from 'node:util';
import { readHistory, readStatus, renderHistoryText, renderStatusTable } from '../reconciler/status/history';
import { readAlertSettings } from '../reconciler/alerts/settings';
import { storeFromSettings, type AlertStore } from '../reconciler/state/store';
import { booleanSetting } from '../reconciler/settings';
import { createLogger } from '../reconciler/logger';
import { formatProblem } from '../reconciler/policy/format';
import { loadPolicies } from '../reconciler/policy/load';
import { policyJsonSchema } from '../reconciler/policy/schema';
import { renderPlanJson } from '../reconciler/render/json';
import { renderPlanMarkdown } from '../reconciler/render/markdown';
import { renderApplyText, renderPlanText } from '../reconciler/render/text';
import { renderRoleScopesText, roleScopes } from '../reconciler/roleScopes';
import { runTick } from '../reconciler/tick';
import { runDiscoverCommand } from '../discover/command';
import { armPortFromEnv } from './armPortFromEnv';

const USAGE = `Usage: lockdown <command> [paths...] [options]

Commands:
  validate [paths]   check policy files (default: policies/); exit 1 on any error
  plan [paths]       show what apply would change
  apply [paths]      repair drift (writes to Azure)
  schema             print the JSON Schema of the policy format
  scopes [paths]     the resource groups the Lockdown Operator role must be assigned at
                     (--output json: the deployment template's roleScopes parameter)
  status             every pair's conditions (Ready, Drifted, Degraded) as the timer last recorded them
  history <policy|caller→callee>
                     the last drift events with who made them (also caller->callee)
  discover --subscription <id> [--resource-group <name>] [--out <folder>] [--force]
                     write the policies the estate already implies (mode: audit); reads only

Options:
  -o, --output <text|json|markdown>   output format (default text)
  --detailed-exitcode                 plan: exit 0 no changes, 2 changes, 1 error
  --fail-on-invalid                   plan/apply: exit 1 if any policy file is invalid
  --dry-run                           apply: plan and report, write nothing
  --follow-external-links             follow links that leave the policy folder (default: each is an
                                      error that freezes every write); also LOCKDOWN_FOLLOW_EXTERNAL_LINKS
  --limit <n>                         history: how many events (default 20)
  -h, --help

Azure connection (environment): LOCKDOWN_ARM_ENDPOINT, LOCKDOWN_ARM_TOKEN, LOCKDOWN_AZURE_CLOUD,
LOCKDOWN_MANAGED_IDENTITY_CLIENT_ID; otherwise DefaultAzureCredential (az login, managed identity).
State (status, history): LOCKDOWN_STATE_CONNECTION or AzureWebJobsStorage (a storage connection string).`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  env: process.env,
};

export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  // discover has options of its own (repeatable scopes, an output folder).
  if (argv[0] === 'discover') return runDiscoverCommand(argv.slice(1), io);
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o', default: 'text' },
        'detailed-exitcode': { type: 'boolean', default: false },
        'fail-on-invalid': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        'follow-external-links': { type: 'boolean', default: false },
        limit: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const [command, ...paths] = parsed.positionals;
  const values = parsed.values;
  if (values.help || !command) {
    (command ? io.stdout : io.stderr)(USAGE);
    return values.help ? 0 : 1;
  }
  const output = values.output ?? 'text';
  if (!['text', 'json', 'markdown'].includes(output)) {
    io.stderr(`--output must be text, json or markdown, not "${output}"`);
    return 1;
  }
  const policyPaths = paths.length > 0 ? paths : ['policies'];
  const followExternalLinks = switchOn(io, values['follow-external-links'], 'LOCKDOWN_FOLLOW_EXTERNAL_LINKS');
  if (followExternalLinks === undefined) return 1;

  switch (command) {
    case 'schema':
      io.stdout(JSON.stringify(policyJsonSchema(), null, 2));
      return 0;
    case 'validate': {
      const loaded = await loadPolicies(policyPaths, { followExternalLinks });
      if (output === 'json') {
        io.stdout(JSON.stringify({ files: loaded.files, invalidFiles: loaded.invalidFiles, problems: loaded.problems, policies: loaded.policies.map((p) => p.name) }, null, 2));
      } else {
        for (const problem of loaded.problems) io.stderr(formatProblem(problem));
        io.stdout(`${loaded.files.length} file(s), ${loaded.policies.length} valid polic${loaded.policies.length === 1 ? 'y' : 'ies'}, ${loaded.problems.filter((p) => p.severity === 'error').length} error(s).`);
      }
      return loaded.problems.some((problem) => problem.severity === 'error') ? 1 : 0;
    }
    case 'scopes': {
      const loaded = await loadPolicies(policyPaths, { followExternalLinks });
      for (const problem of loaded.problems) io.stderr(formatProblem(problem));
      // A partial list would leave the role missing where an invalid file points.
      if (loaded.invalidFiles.length > 0) return 1;
      const scopes = roleScopes(loaded.policies);
      io.stdout(output === 'json' ? JSON.stringify(scopes.map(({ subscriptionId, resourceGroup }) => ({ subscriptionId, resourceGroup })), null, 2) : renderRoleScopesText(scopes));
      return 0;
    }
    case 'plan':
    case 'apply': {
      const logger = createLogger({ level: io.env.LOCKDOWN_LOG_LEVEL ?? 'silent' });
      const dryRun = switchOn(io, values['dry-run'], 'LOCKDOWN_DRY_RUN');
      if (dryRun === undefined) return 1;
      const port = armPortFromEnv(io.env, io.stderr);
      if (!port) return 1;
      const report = await runTick({
        policyPaths,
        port,
        logger,
        apply: command === 'apply',
        dryRun,
        followExternalLinks,
        haltOnInvalidPolicies: values['fail-on-invalid'],
      });
      if (report.halted) {
        for (const problem of report.policies.problems) io.stderr(formatProblem(problem));
        io.stderr(`invalid policy files (${report.policies.invalidFiles.join(', ')}): nothing was planned or written (--fail-on-invalid)`);
        return 1;
      }
      if (output === 'text') for (const problem of report.policies.problems) io.stderr(formatProblem(problem));
      if (output === 'json') io.stdout(renderPlanJson(report.plan, report.apply, report.policies));
      else if (output === 'markdown') io.stdout(renderPlanMarkdown(report.plan, report.policies));
      else {
        io.stdout(renderPlanText(report.plan, report.policies));
        if (report.apply) io.stdout(`\n${renderApplyText(report.apply)}`);
      }
      const invalid = report.policies.invalidFiles.length > 0;
      if (invalid && values['fail-on-invalid']) return 1;
      if (report.apply?.outcomes.some((outcome) => outcome.outcome === 'failed')) return 1;
      // A pair that could not be read or cannot be enforced is an error, not "no changes".
      if (report.plan.conditions.some((condition) => condition.severity === 'error')) return 1;
      if (command === 'plan' && values['detailed-exitcode']) return report.plan.actions.length > 0 ? 2 : 0;
      return 0;
    }
    case 'status':
    case 'history': {
      if (output === 'markdown') {
        io.stderr(`--output must be text or json for ${command}`);
        return 1;
      }
      const store = stateStore(io);
      if (!store) return 1;
      if (command === 'status') {
        const status = await readStatus(store);
        io.stdout(output === 'json' ? JSON.stringify(status, null, 2) : renderStatusTable(status.pairs));
        return 0;
      }
      const query = paths[0];
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!query || paths.length > 1 || !Number.isInteger(limit) || limit <= 0) {
        io.stderr(`usage: lockdown history <policy|caller→callee> [--limit N] [--output text|json]`);
        return 1;
      }
      const entries = await readHistory(store, query, limit);
      io.stdout(output === 'json' ? JSON.stringify({ formatVersion: 1, query, entries }, null, 2) : renderHistoryText(entries));
      return 0;
    }
    default:
      io.stderr(`unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

/** A flag, or the Function's app setting for the same switch parsed as strictly (fail closed); undefined once it said why not. */
function switchOn(io: CliIo, flag: boolean | undefined, setting: string): boolean | undefined {
  try {
    return flag === true || booleanSetting(io.env, setting, false);
  } catch (error) {
    io.stderr((error as Error).message);
    return undefined;
  }
}

function stateStore(io: CliIo): AlertStore | undefined {
  try {
    const store = storeFromSettings(readAlertSettings(io.env));
    if (!store) io.stderr('no state storage: set LOCKDOWN_STATE_CONNECTION (or AzureWebJobsStorage) to the Function app\'s storage connection string');
    return store;
  } catch (error) {
    io.stderr((error as Error).message);
    return undefined;
  }
}

export function main(): void {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`lockdown: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();
