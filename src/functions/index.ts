/** Function app entry point (v4 programming model): registers every function. */
import { app } from '@azure/functions';
import { reconcileTimer } from './reconcileTimer';
import { readSettings } from './settings';
import { statusHttp } from './statusHttp';

app.timer('lockdownReconcile', {
  schedule: readSettings().schedule,
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
