/**
 * Function app entry point (v4 programming model): registers every function. Only what
 * registration needs is imported here; each handler loads its module (and the SDKs behind it)
 * on its first invocation, so the worker's cold start stays small.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { app } from '@azure/functions';
import { readSchedule } from './settings';

app.timer('lockdownReconcile', {
  // Only the schedule here: any other invalid setting fails each tick with its message instead.
  schedule: readSchedule(),
  runOnStartup: false,
  useMonitor: true,
  handler: async (timer, context) => {
    const { reconcileTimer } = require('./reconcileTimer') as typeof import('./reconcileTimer');
    await reconcileTimer(timer, context);
  },
});

app.http('lockdownStatus', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'lockdown/status',
  handler: (request, context) => (require('./statusHttp') as typeof import('./statusHttp')).statusHttp(request, context),
});

// Resource-write events of the subscription's Event Grid system topic (see the README for the subscription and its filters).
app.eventGrid('lockdownEvents', {
  handler: async (event, context) => {
    const { lockdownEvents } = require('./lockdownEvents') as typeof import('./lockdownEvents');
    await lockdownEvents(event, context);
  },
});
