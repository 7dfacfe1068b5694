/**
 * A proposed policy as a policy file: the format `lockdown validate` reads, in audit mode,
 * headed by a comment that says what evidence it came from. The YAML is produced by the yaml
 * library from plain data, so nothing read from Azure (a rule name, a description) can
 * change the document's structure; comment text is reduced to one printable line per item.
 */
import { Document, YAMLMap, YAMLSeq } from 'yaml';
import { POLICY_API_VERSION, POLICY_KIND, type ExtraAllow, type ScmSpec } from '../reconciler/policy/types';
import { shortName } from '../reconciler/resourceId';
import type { ProposedPolicy } from './propose';

export interface PolicyFile {
  /** File name inside the output folder: the policy name (a DNS label) and `.yaml`. */
  fileName: string;
  policy: string;
  text: string;
}

export interface PolicyFileContext {
  /** When the estate was read (ISO). */
  discoveredAt: string;
  scope: string;
}

/** One printable line: no line breaks or control characters from names found in Azure. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

function allowData(allow: ExtraAllow): Record<string, string> {
  return allow.serviceTag ? { name: allow.name, serviceTag: allow.serviceTag } : { name: allow.name, ipAddress: allow.ipAddress! };
}

function scmData(scm: ScmSpec): unknown {
  if (scm.kind === 'sameAsMain') return 'sameAsMain';
  if (scm.kind === 'denyAll') return 'denyAll';
  return { allow: scm.allow.map(allowData) };
}

function evidenceLines(proposal: ProposedPolicy, context: PolicyFileContext): string[] {
  const lines = [
    `Proposed by \`lockdown discover\` from ${oneLine(context.scope)}, read at ${context.discoveredAt}.`,
    'mode: audit, so adopting it changes nothing; set mode: enforce to lock the pair.',
    'Evidence:',
  ];
  for (const callee of proposal.callees) {
    lines.push(`  callee ${shortName(callee.id)}: denies by default and allows subnet ${shortName(proposal.subnetId)}`);
    for (const note of callee.evidence) lines.push(`    ${oneLine(note)}`);
  }
  for (const caller of proposal.callers) {
    for (const note of caller.evidence) lines.push(`  caller ${shortName(caller.id)}: ${oneLine(note)}`);
  }
  for (const entry of proposal.alsoAllow) lines.push(`  alsoAllow ${entry.allow.name}: ${oneLine(entry.evidence)}`);
  if (!proposal.exclusive) lines.push('  exclusive: false, because a callee has rules a policy cannot express; enforcing keeps them');
  // The yaml library writes '#' before each line; the leading space makes it '# text'.
  return lines.map((line) => ` ${line}`);
}

export function policyFile(proposal: ProposedPolicy, context: PolicyFileContext): PolicyFile {
  const document = new Document({
    apiVersion: POLICY_API_VERSION,
    kind: POLICY_KIND,
    metadata: {
      name: proposal.name,
      description: oneLine(`Discovered: ${proposal.callers.map((caller) => shortName(caller.id)).join(', ')} → ${proposal.callees.map((callee) => shortName(callee.id)).join(', ')} through ${shortName(proposal.subnetId)}`),
    },
    spec: {
      mode: 'audit',
      exclusive: proposal.exclusive,
      subnet: proposal.subnetId,
      callers: proposal.callers.map((caller) => caller.id),
      callees: proposal.callees.map((callee) => ({ id: callee.id, scm: scmData(callee.scm) })),
      ...(proposal.alsoAllow.length > 0 ? { alsoAllow: proposal.alsoAllow.map((entry) => allowData(entry.allow)) } : {}),
    },
  });
  const alsoAllow = document.getIn(['spec', 'alsoAllow']);
  if (alsoAllow instanceof YAMLSeq) for (const item of alsoAllow.items) if (item instanceof YAMLMap) item.flow = true;
  document.commentBefore = evidenceLines(proposal, context).join('\n');
  return { fileName: `${proposal.name}.yaml`, policy: proposal.name, text: document.toString({ lineWidth: 0 }) };
}
