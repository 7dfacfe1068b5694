/** Slack incoming webhook: `text` (the notification fallback) and Block Kit `blocks`. */
import { formatValue } from '../../render/values';
import { describeActor } from '../message';
import { pairName } from '../pairs';
import type { AlertMessage } from '../types';
import { PayloadSink, type AlertSink } from './sink';

/** Slack mrkdwn needs &, < and > escaped. */
const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackPayload(message: AlertMessage): Record<string, unknown> {
  const icon = message.kind === 'resolved' ? ':white_check_mark:' : ':rotating_light:';
  const fields = [
    `*Policy*\n${message.policy}`,
    `*Pairs*\n${message.pairs.map(pairName).join(', ') || '(all)'}`,
    `*What*\n${message.changes.map((change) => `${change.aspect}: \`${change.field}\``).join('\n')}`,
    `*Done*\n${message.action}`,
    `*Expected*\n${message.changes.map((change) => formatValue(change.expected)).join('\n')}`,
    `*Actual*\n${message.changes.map((change) => formatValue(change.actual)).join('\n')}`,
  ].map((text) => ({ type: 'mrkdwn', text: escape(text).slice(0, 1900) }));
  return {
    text: `${icon} ${escape(message.summary)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} *${escape(message.summary).slice(0, 2800)}*` } },
      { type: 'section', fields },
      { type: 'context', elements: [{ type: 'mrkdwn', text: escape(`${describeActor(message.actor)} · ${message.resourceId}${message.policyRevision ? ` · policies at ${message.policyRevision}` : ''}`).slice(0, 2900) }] },
    ],
  };
}

export const slackSink = (url: string): AlertSink => new PayloadSink('slack', url, slackPayload);
