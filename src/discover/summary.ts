/**
 * The discovery summary for people (text, Markdown) and machines (JSON): what was found,
 * what could not be attributed or read, and the plan if every proposal were enforced,
 * rendered by the plan renderers `lockdown plan` uses.
 */
import path from 'node:path';
import { renderPlanMarkdown } from '../reconciler/render/markdown';
import { renderPlanText } from '../reconciler/render/text';
import { shortName } from '../reconciler/resourceId';
import { scopeLabel, type DiscoveryReport } from './discover';
import { oneLine } from './policyFile';
import { SLOT_STATE, type SlotFinding } from './propose';

interface Section {
  title: string;
  lines: string[];
}

function slotLine(finding: SlotFinding): string {
  if (!finding.slot) return `${shortName(finding.app)}: ${finding.reason}`;
  const enforcing =
    finding.state === 'unreadable'
      ? ''
      : finding.lockedBy.length > 0
        ? `; enforcing ${finding.lockedBy.join(', ')} ${finding.state === 'locked' ? 'keeps it locked' : 'locks it'} like ${shortName(finding.app)}`
        : `; no pair is proposed for ${shortName(finding.app)}`;
  return `${shortName(finding.slot)}: ${SLOT_STATE[finding.state]}: ${finding.reason}${enforcing}`;
}

function sections(report: DiscoveryReport): Section[] {
  const proposalLines = report.proposals.flatMap((proposal) => [
    `${proposal.name}.yaml: ${proposal.callers.map((caller) => shortName(caller.id)).join(', ')} → ${proposal.callees.map((callee) => shortName(callee.id)).join(', ')} through ${shortName(proposal.subnetId)}` +
      `${proposal.alsoAllow.length ? `, also allowing ${proposal.alsoAllow.map((entry) => entry.allow.name).join(', ')}` : ''}${proposal.exclusive ? '' : ' (exclusive: false)'}`,
  ]);
  return [
    { title: 'Proposed policies (mode: audit)', lines: proposalLines },
    { title: 'Unprotected (open to the internet)', lines: report.unprotected.map((app) => `${shortName(app.id)}: ${app.reason}`) },
    { title: 'Deployment slots of apps that deny by default', lines: report.slots.map(slotLine) },
    { title: 'Not attributed to an app', lines: report.unattributed.map((source) => `${shortName(source.callee)}: ${source.rule}: ${source.reason}`) },
    { title: 'Callers without a subnet to move to', lines: report.unresolved.map((entry) => `${shortName(entry.caller)} → ${shortName(entry.callee)}: ${entry.reason}`) },
    { title: 'Locked, no pair proposed', lines: report.notProposed.map((app) => `${shortName(app.id)}: ${app.reason}`) },
    {
      title: 'Could not be read (nothing was guessed for them)',
      lines: report.unreadable.map((entry) => `${entry.resourceId} (${entry.what}): ${[entry.statusCode, entry.code].filter(Boolean).join(' ')}: ${entry.message}`),
    },
    { title: 'Not read', lines: report.notRead },
  ].map((section) => ({ ...section, lines: section.lines.map(oneLine) }));
}

function headline(report: DiscoveryReport): string {
  return `Read ${scopeLabel(report.scope)}: ${report.read.apps} app(s), ${report.read.virtualNetworks} virtual network(s), ${report.read.subnets} subnet(s); ${report.proposals.length} polic${report.proposals.length === 1 ? 'y' : 'ies'} proposed.`;
}

function filesLine(report: DiscoveryReport): string[] {
  if (report.files.refused.length > 0) {
    return [`Nothing written: ${report.files.refused.map((entry) => `${entry.file} ${entry.reason}`).join('; ')}.`];
  }
  if (report.files.written.length === 0) return ['No policy file written: nothing to propose.'];
  const relative = path.relative(process.cwd(), report.files.folder) || '.';
  return [`Wrote ${report.files.written.length} file(s) to ${relative}/ (mode: audit: adopting them changes nothing until a policy is set to enforce).`];
}

export function renderDiscoveryText(report: DiscoveryReport): string {
  const lines = [headline(report), ...filesLine(report)];
  for (const section of sections(report)) {
    if (section.lines.length === 0) continue;
    lines.push('', `${section.title}:`, ...section.lines.map((line) => `  ${line}`));
  }
  lines.push('', 'If every proposal were enforced:', renderPlanText(report.planIfEnforced));
  return lines.join('\n');
}

export function renderDiscoveryMarkdown(report: DiscoveryReport): string {
  const lines = ['### Lockdown discovery', '', headline(report), '', ...filesLine(report)];
  for (const section of sections(report)) {
    if (section.lines.length === 0) continue;
    lines.push('', `#### ${section.title}`, '', ...section.lines.map((line) => `- ${line.replace(/([|*_`])/g, '\\$1')}`));
  }
  lines.push('', '#### If every proposal were enforced', '', renderPlanMarkdown(report.planIfEnforced).replace(/^### Lockdown plan\n\n/, ''));
  return lines.join('\n');
}

export function renderDiscoveryJson(report: DiscoveryReport): string {
  return JSON.stringify(report, null, 2);
}
