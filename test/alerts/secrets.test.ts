/** Webhook URLs and secrets are secrets: they never reach a log line. */
import { createLogger, REDACTED } from '../../src/reconciler/logger';
import { readAlertSettings } from '../../src/reconciler/alerts/settings';
import { HOOK_PATHS, startAlertWorld, WEBHOOK_SECRET, type AlertWorld } from '../support/alertHarness';
import { ids, pairPolicy } from '../support/emulatorWorld';

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } }) };
}

describe('the logger masks webhook secrets', () => {
  it.each([
    ['a Teams Workflows URL', 'https://prod-12.westeurope.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers&sv=1.0&sig=S3cr3tSig', 'S3cr3tSig'],
    ['a Slack incoming webhook', 'https://hooks.slack.com/services/T00000000/B00000000/XXXXsecretXXXX', 'XXXXsecretXXXX'],
    ['a generic webhook URL', 'https://example.test/api/webhook/8f7e6d5c', '8f7e6d5c'],
  ])('%s in a message, a field and a nested field', (_name, url, secretPart) => {
    const { lines, logger } = capture();
    logger.warn({ target: url, nested: { deeper: [url] } }, `posting to ${url}`);
    expect(lines.join('\n')).not.toContain(secretPart);
  });

  it('redacts webhookUrl and secret fields whatever they hold', () => {
    const { lines, logger } = capture();
    logger.info({ webhookUrl: 'http://127.0.0.1:1234/plain', secret: 'plain-secret', sink: { webhookUrl: 'x://y', secret: 'nested-secret' } }, 'configured');
    const [line] = lines.map((text) => JSON.parse(text));
    expect(line.webhookUrl).toBe(REDACTED);
    expect(line.secret).toBe(REDACTED);
    expect(line.sink).toEqual({ webhookUrl: REDACTED, secret: REDACTED });
  });

  it('leaves an unresolved Key Vault reference off and says so, without its value', () => {
    const settings = readAlertSettings({ LOCKDOWN_SLACK_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/slack/)' });
    expect(settings.slackWebhookUrl).toBeUndefined();
    expect(settings.warnings.join('\n')).toMatch(/LOCKDOWN_SLACK_WEBHOOK_URL is an unresolved Key Vault reference/);
    expect(settings.warnings.join('\n')).not.toContain('kv.vault.azure.net');
  });
});

describe('no secret in any log line of a full alerting run', () => {
  let alerts: AlertWorld;
  afterEach(() => alerts.stop());

  it('with deliveries that fail and succeed, on every sink', async () => {
    alerts = await startAlertWorld();
    alerts.world.writePolicies({ 'orders.yaml': pairPolicy({ mode: 'audit' }) });
    alerts.receiver.script.set(HOOK_PATHS.webhook, [500, 500, 500]);
    alerts.receiver.script.set(HOOK_PATHS.slack, [404, 404, 404]);
    await alerts.tickAndAlert();
    await portal(alerts);
    await alerts.tickAndAlert();
    await alerts.receiver.stop(); // connection refused too
    await alerts.alert(await alerts.world.tick(), { renotifyAfterInMs: 1, delivery: { maxAttempts: 1, backoffInMs: 1, timeoutInMs: 300 } });

    const text = alerts.logLines.join('\n');
    expect(alerts.logLines.length).toBeGreaterThan(20);
    expect(text).toContain('lockdown.alert');
    expect(text).toContain('lockdown.alertDelivery');
    for (const secret of [WEBHOOK_SECRET, HOOK_PATHS.webhook, HOOK_PATHS.teams, HOOK_PATHS.slack, 'T0KENinTheURL', 'SIGNATUREinURL', 'SLACKsecretPATH42', alerts.receiver.url, alerts.env.LOCKDOWN_STATE_CONNECTION, 'AccountKey']) {
      expect(text).not.toContain(secret);
    }
  });
});

function portal(alerts: AlertWorld) {
  return alerts.world.emulator.admin.outOfBand('erin@example.test', { method: 'PATCH', path: `${ids.payments}/config/web`, body: { properties: { ipSecurityRestrictionsDefaultAction: 'Allow' } } });
}
