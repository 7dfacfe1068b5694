/**
 * The Resource Graph client over a scripted transport: every page through $skipToken, the
 * subscriptions of a multi-subscription estate in one query (batches above Resource Graph's
 * limit), a pause while the caller's quota is used up, and refusals as classified ArmErrors.
 */
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { connectionFromSettings } from '../../src/reconciler/azure/connection';
import { durationInMs, ResourceGraphClient, SUBSCRIPTIONS_PER_QUERY } from '../../src/reconciler/azure/resourceGraph';

interface Sent {
  subscriptions: string[];
  options: Record<string, unknown>;
}

function scripted(answers: Array<{ status?: number; body: unknown; headers?: Record<string, string> }>): { transport: HttpClient; sent: Sent[] } {
  const sent: Sent[] = [];
  const transport: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      sent.push(JSON.parse(String(request.body)));
      const answer = answers[Math.min(sent.length - 1, answers.length - 1)];
      return { request, status: answer.status ?? 200, headers: createHttpHeaders(answer.headers ?? {}), bodyAsText: JSON.stringify(answer.body) };
    },
  };
  return { transport, sent };
}

function client(transport: HttpClient, sleeps: number[] = []): ResourceGraphClient {
  const connection = { ...connectionFromSettings({ LOCKDOWN_ARM_ENDPOINT: 'https://arm.test', LOCKDOWN_ARM_TOKEN: 't' }), httpClient: transport };
  return new ResourceGraphClient(connection, { retryOptions: { maxRetries: 0 }, sleep: async (ms) => void sleeps.push(ms) });
}

const page = (ids: string[], skipToken?: string) => ({ totalRecords: 3, count: ids.length, resultTruncated: 'false', data: ids.map((id) => ({ id })), ...(skipToken ? { $skipToken: skipToken } : {}) });

describe('Resource Graph client', () => {
  it('follows $skipToken to the last page, asking 1,000 rows at a time', async () => {
    const { transport, sent } = scripted([{ body: page(['a', 'b'], 'next') }, { body: page(['c']) }]);
    const rows = await client(transport).query('resources', ['sub-1']);
    expect(rows.map((row) => row.id)).toEqual(['a', 'b', 'c']);
    expect(sent.map((request) => request.options)).toEqual([
      { $top: 1000, resultFormat: 'objectArray' },
      { $top: 1000, resultFormat: 'objectArray', $skipToken: 'next' },
    ]);
  });

  it('asks for the hub subscription and the apps subscription in the same query', async () => {
    const { transport, sent } = scripted([{ body: page(['hub-vnet', 'app']) }]);
    await client(transport).query('resources', ['apps-sub', 'hub-sub']);
    expect(sent).toHaveLength(1);
    expect(sent[0].subscriptions).toEqual(['apps-sub', 'hub-sub']);
  });

  it('splits more subscriptions than one query may name into batches', async () => {
    const { transport, sent } = scripted([{ body: page([]) }]);
    const subscriptions = Array.from({ length: SUBSCRIPTIONS_PER_QUERY + 1 }, (_, index) => `sub-${index}`);
    await client(transport).query('resources', subscriptions);
    expect(sent.map((request) => request.subscriptions.length)).toEqual([SUBSCRIPTIONS_PER_QUERY, 1]);
  });

  it('waits for the quota to reset before the next query once it is used up', async () => {
    const sleeps: number[] = [];
    const { transport } = scripted([
      { body: page(['a'], 'next'), headers: { 'x-ms-user-quota-remaining': '0', 'x-ms-user-quota-resets-after': '00:00:03' } },
      { body: page(['b']), headers: { 'x-ms-user-quota-remaining': '14', 'x-ms-user-quota-resets-after': '00:00:05' } },
    ]);
    await client(transport, sleeps).query('resources', ['sub-1']);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(2000);
    expect(sleeps[0]).toBeLessThanOrEqual(3000);
  });

  it('does not wait while quota remains', async () => {
    const sleeps: number[] = [];
    const { transport } = scripted([{ body: page(['a'], 'next'), headers: { 'x-ms-user-quota-remaining': '3', 'x-ms-user-quota-resets-after': '00:00:03' } }, { body: page(['b']) }]);
    await client(transport, sleeps).query('resources', ['sub-1']);
    expect(sleeps).toEqual([]);
  });

  it('turns a refusal into a classified ArmError', async () => {
    const { transport } = scripted([{ status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no access' } } }]);
    await expect(client(transport).query('resources', ['sub-1'])).rejects.toMatchObject({ name: 'ArmError', statusCode: 403, code: 'AuthorizationFailed' });
  });

  it('reads resets-after as hours, minutes and seconds', () => {
    expect(durationInMs('01:02:03')).toBe(3_723_000);
    expect(durationInMs('soon')).toBeUndefined();
  });
});
