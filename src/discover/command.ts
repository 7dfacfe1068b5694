/**
 * The `discover` command line: its own options (repeatable --subscription and
 * --resource-group), then discovery, the summary and the exit code.
 * Exit codes: 0 proposals written (or nothing to propose; what could not be read is in the
 * summary), 1 bad input, existing files without --force, or no app could be read at all.
 */
import { parseArgs } from 'node:util';
import { armPortFromEnv } from '../cli/armPortFromEnv';
import type { CliIo } from '../cli/main';
import { ResourceGraphPort } from '../reconciler/azure/resourceGraphPort';
import { DEFAULT_DISCOVERY_FOLDER, discover } from './discover';
import { portEstateSource } from './estate';
import { resourceGraphEstateSource } from './resourceGraphEstate';
import { renderDiscoveryJson, renderDiscoveryMarkdown, renderDiscoveryText } from './summary';

export const DISCOVER_USAGE = `Usage: lockdown discover --subscription <id> [--subscription <id>...] [--resource-group <name>...]
                         [--out <folder>] [--force] [-o text|json|markdown]

Reads the apps, their access rules, the deployment slots of the apps that deny by default and
the virtual networks of the scope (never writes to Azure), reports open slots with the apps
open to the internet, and writes one policy file per pair the estate already implies, in
mode: audit, to --out (default ${DEFAULT_DISCOVERY_FOLDER}/). Existing files are not overwritten
without --force.`;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/u;

export async function runDiscoverCommand(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        subscription: { type: 'string', multiple: true, default: [] },
        'resource-group': { type: 'string', multiple: true, default: [] },
        out: { type: 'string', default: DEFAULT_DISCOVERY_FOLDER },
        force: { type: 'boolean', default: false },
        output: { type: 'string', short: 'o', default: 'text' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${DISCOVER_USAGE}`);
    return 1;
  }
  const values = parsed.values;
  if (values.help) {
    io.stdout(DISCOVER_USAGE);
    return 0;
  }
  const subscriptions = values.subscription ?? [];
  const resourceGroups = values['resource-group'] ?? [];
  const problems = [
    ...(subscriptions.length === 0 ? ['--subscription is required'] : []),
    ...subscriptions.filter((id) => !GUID.test(id)).map((id) => `--subscription "${id}" is not a subscription id (a GUID)`),
    ...resourceGroups.filter((name) => !RESOURCE_GROUP.test(name) || name.endsWith('.')).map((name) => `--resource-group "${name}" is not a resource group name`),
    ...(['text', 'json', 'markdown'].includes(values.output ?? '') ? [] : [`--output must be text, json or markdown, not "${values.output}"`]),
  ];
  if (problems.length > 0) {
    io.stderr(`${problems.join('\n')}\n\n${DISCOVER_USAGE}`);
    return 1;
  }

  const port = armPortFromEnv(io.env, io.stderr);
  if (!port) return 1;
  // With Resource Graph (the setting's resourcegraph or auto), two queries read the estate.
  const source = port instanceof ResourceGraphPort ? resourceGraphEstateSource(port, portEstateSource(port.authoritative)) : undefined;
  const report = await discover({ scope: { subscriptions, resourceGroups }, port, source, outDir: values.out ?? DEFAULT_DISCOVERY_FOLDER, force: values.force });
  const output = values.output;
  io.stdout(output === 'json' ? renderDiscoveryJson(report) : output === 'markdown' ? renderDiscoveryMarkdown(report) : renderDiscoveryText(report));
  if (report.files.refused.length > 0) return 1;
  return report.read.apps === 0 && report.unreadable.length > 0 ? 1 : 0;
}
