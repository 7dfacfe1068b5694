import { connectionFromSettings, StaticTokenCredential } from '../../src/reconciler/azure/connection';
import { readSettings, DEFAULT_SCHEDULE } from '../../src/functions/settings';

describe('Azure connection from settings', () => {
  it('uses the public cloud and DefaultAzureCredential by default', () => {
    const connection = connectionFromSettings({});
    expect(connection).toMatchObject({ endpoint: 'https://management.azure.com', scopes: ['https://management.azure.com/.default'], credentialKind: 'default-azure-credential' });
  });

  it('uses a static token and another endpoint when told to (the emulator)', async () => {
    const connection = connectionFromSettings({ LOCKDOWN_ARM_ENDPOINT: 'https://127.0.0.1:8443/', LOCKDOWN_ARM_TOKEN: 's3cret' });
    expect(connection.endpoint).toBe('https://127.0.0.1:8443');
    expect(connection.credential).toBeInstanceOf(StaticTokenCredential);
    expect((await connection.credential.getToken('x'))?.token).toBe('s3cret');
    expect(JSON.stringify(connection)).not.toContain('s3cret');
  });

  it.each([
    ['AzureChinaCloud', 'https://management.chinacloudapi.cn', 'https://login.chinacloudapi.cn'],
    ['AzureUSGovernment', 'https://management.usgovcloudapi.net', 'https://login.microsoftonline.us'],
  ])('targets the sovereign cloud %s, signing in with its own authority', (cloud, endpoint, authorityHost) => {
    expect(connectionFromSettings({ LOCKDOWN_AZURE_CLOUD: cloud })).toMatchObject({ endpoint, scopes: [`${endpoint}/.default`], authorityHost });
  });

  it('names the valid clouds when the setting is wrong', () => {
    expect(() => connectionFromSettings({ LOCKDOWN_AZURE_CLOUD: 'Mars' })).toThrow(/AzurePublicCloud, AzureChinaCloud, AzureUSGovernment/);
  });
});

describe('Function settings', () => {
  it('runs every 5 minutes with an 8-minute budget by default', () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({ schedule: DEFAULT_SCHEDULE, timeBudgetInMs: 480_000, dryRun: false });
    expect(settings.policyPaths).toEqual([expect.stringMatching(/policies$/)]);
  });

  it('reads the schedule, paths, budget and dry run from app settings', () => {
    const settings = readSettings({ LOCKDOWN_SCHEDULE: '0 */1 * * * *', LOCKDOWN_POLICY_PATHS: 'a, b/c', LOCKDOWN_TIME_BUDGET_SECONDS: '60', LOCKDOWN_DRY_RUN: 'true' });
    expect(settings).toMatchObject({ schedule: '0 */1 * * * *', timeBudgetInMs: 60_000, dryRun: true });
    expect(settings.policyPaths).toEqual([expect.stringMatching(/\/a$/), expect.stringMatching(/\/b\/c$/)]);
  });

  it('refuses a budget that is not a positive number', () => {
    expect(() => readSettings({ LOCKDOWN_TIME_BUDGET_SECONDS: 'soon' })).toThrow(/LOCKDOWN_TIME_BUDGET_SECONDS/);
  });
});
