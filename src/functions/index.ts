/** Function app entry point (v4 programming model): registers every function. */
import { app } from '@azure/functions';
import { lockdownEvents } from './lockdownEvents';
import { reconcileTimer } from './reconcileTimer';
import { readSchedule } from './settings';
import { statusHttp } from './statusHttp';

app.timer('lockdownReconcile', {
  // Only the schedule here: any other invalid setting fails each tick with its message instead.
  schedule: readSchedule(),
  runOnStartup: false,
  useMonitor: true,
  handler: async (timer, context) => {
    await reconcileTimer(timer, context);
  },
});

app.http('lockdownStatus', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'lockdown/status',
  handler: (request, context) => statusHttp(request, context),
});

// Resource-write events of the subscription's Event Grid system topic (see the README for the subscription and its filters).
app.eventGrid('lockdownEvents', {
  handler: async (event, context) => {
    await lockdownEvents(event, context);
  },
});
