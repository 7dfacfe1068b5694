/**
 * Always on: one pino line per alert, event "lockdown.alert", with stable fields an Azure
 * Monitor alert rule can query in Application Insights `traces` (see the README section).
 */
import type { Logger } from '../../logger';
import type { AlertMessage } from '../types';
import type { AlertSink } from './sink';

export const ALERT_EVENT = 'lockdown.alert';

export class LogSink implements AlertSink {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}

  async send(message: AlertMessage): Promise<void> {
    const actor = message.actor;
    const fields = {
      event: ALERT_EVENT,
      alertId: message.alertId,
      alertKind: message.kind,
      driftKey: message.key,
      policy: message.policy,
      pairs: message.pairs,
      resourceId: message.resourceId,
      aspect: message.aspect,
      field: message.field,
      expected: message.expected,
      actual: message.actual,
      action: message.action,
      reason: message.reason,
      policyRevision: message.policyRevision,
      changes: message.changes,
      actorCaller: actor && !actor.unknown ? actor.caller : undefined,
      actorTime: actor && !actor.unknown ? actor.time : undefined,
      actorOperation: actor && !actor.unknown ? actor.operation : undefined,
      actorCorrelationId: actor && !actor.unknown ? actor.correlationId : undefined,
      actorUnknown: actor?.unknown ? actor.why : undefined,
      actorDetail: actor?.unknown ? actor.detail : undefined,
      firstDetectedAt: message.firstDetectedAt,
      resolvedAt: message.resolvedAt,
    };
    if (message.kind === 'resolved') this.logger.info(fields, message.summary);
    else this.logger.warn(fields, message.summary);
  }
}
