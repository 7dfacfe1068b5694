/**
 * Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
 * received"): an Adaptive Card in the `attachments` envelope the workflow expects.
 */
import { formatValue } from '../../render/values';
import { describeActor } from '../message';
import { pairName } from '../pairs';
import type { AlertMessage } from '../types';
import { PayloadSink, type AlertSink } from './sink';

export function adaptiveCard(message: AlertMessage): Record<string, unknown> {
  const color = message.kind === 'resolved' ? 'Good' : message.action === 'repaired' ? 'Warning' : 'Attention';
  const title = message.kind === 'resolved' ? 'Lockdown: drift resolved' : message.kind === 'reminder' ? 'Lockdown: drift persists' : 'Lockdown: unauthorized change';
  const facts = [
    { title: 'Policy', value: message.policy },
    ...(message.pairs.length > 0 ? [{ title: 'Pairs', value: message.pairs.map(pairName).join(', ') }] : []),
    { title: 'Resource', value: message.resourceId },
    // One line per difference of the change, in the same order in each fact.
    { title: 'What', value: message.changes.map((change) => `${change.aspect}: ${change.field}`).join('\n') },
    { title: 'Expected', value: message.changes.map((change) => formatValue(change.expected)).join('\n') },
    { title: 'Actual', value: message.changes.map((change) => formatValue(change.actual)).join('\n') },
    { title: 'Done', value: `${message.action}${message.reason ? ` (${message.reason})` : ''}` },
    { title: 'Who', value: describeActor(message.actor) },
    { title: 'First seen', value: message.firstDetectedAt },
    ...(message.resolvedAt ? [{ title: 'Resolved', value: message.resolvedAt }] : []),
    ...(message.policyRevision ? [{ title: 'Policy revision', value: message.policyRevision }] : []),
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', size: 'Medium', weight: 'Bolder', color, text: title, wrap: true },
            { type: 'TextBlock', text: message.summary, wrap: true },
            { type: 'FactSet', facts },
          ],
        },
      },
    ],
  };
}

export const teamsSink = (url: string): AlertSink => new PayloadSink('teams', url, adaptiveCard);
