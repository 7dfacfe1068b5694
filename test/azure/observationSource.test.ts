/** LOCKDOWN_OBSERVATION_SOURCE, and what the bulk source asks Resource Graph for. */
import { createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { ArmPort } from '../../src/reconciler/azure/armPort';
import { connectionFromSettings } from '../../src/reconciler/azure/connection';
import { AUTO_RESOURCE_GRAPH_MIN_APPS, observationSourceSetting, portFromSettings } from '../../src/reconciler/azure/observationSource';
import { ResourceGraphClient } from '../../src/reconciler/azure/resourceGraph';
import { ResourceGraphPort } from '../../src/reconciler/azure/resourceGraphPort';

const settings = { LOCKDOWN_ARM_ENDPOINT: 'https://arm.test', LOCKDOWN_ARM_TOKEN: 't' };
const HUB = '/subscriptions/aaaa0000-0000-0000-0000-000000000001/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/apps';
const APP = (name: string) => `/subscriptions/bbbb0000-0000-0000-0000-000000000002/resourceGroups/web/providers/Microsoft.Web/sites/${name}`;

describe('observation source setting', () => {
  it('is auto by default and refuses an unknown source naming the valid ones', () => {
    expect(observationSourceSetting({})).toBe('auto');
    expect(observationSourceSetting({ LOCKDOWN_OBSERVATION_SOURCE: 'ResourceGraph' })).toBe('resourcegraph');
    expect(() => observationSourceSetting({ LOCKDOWN_OBSERVATION_SOURCE: 'graph' })).toThrow('use one of arm, resourcegraph, auto');
  });

  it('arm gives the ARM port; resourcegraph and auto the bulk port', () => {
    const connection = connectionFromSettings(settings);
    expect(portFromSettings(connection, { LOCKDOWN_OBSERVATION_SOURCE: 'arm' })).toBeInstanceOf(ArmPort);
    expect(portFromSettings(connection, { LOCKDOWN_OBSERVATION_SOURCE: 'resourcegraph' })).toBeInstanceOf(ResourceGraphPort);
    expect(portFromSettings(connection, {})).toBeInstanceOf(ResourceGraphPort);
  });
});

describe('bulk observation', () => {
  function recordingPort(minApps = 0) {
    const sent: { subscriptions: string[]; query: string }[] = [];
    const transport: HttpClient = {
      async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
        sent.push(JSON.parse(String(request.body)));
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: JSON.stringify({ totalRecords: 0, count: 0, resultTruncated: 'false', data: [] }) };
      },
    };
    const connection = { ...connectionFromSettings(settings), httpClient: transport };
    return { sent, port: new ResourceGraphPort(new ArmPort(connection), new ResourceGraphClient(connection), { minApps }) };
  }

  it('observes a hub VNet in another subscription in the same two queries as the apps', async () => {
    const { sent, port } = recordingPort();
    const source = await port.prefetch([HUB, APP('orders'), APP('payments')]);
    expect(source).toMatchObject({ name: 'resourceGraph', requests: 2 });
    expect(sent.map((request) => request.query.split(' ')[0]).sort()).toEqual(['appserviceresources', 'resources']);
    for (const request of sent) expect(request.subscriptions).toEqual(['aaaa0000-0000-0000-0000-000000000001', 'bbbb0000-0000-0000-0000-000000000002']);
  });

  it(`auto reads from ARM below ${AUTO_RESOURCE_GRAPH_MIN_APPS} apps`, async () => {
    const { sent, port } = recordingPort(AUTO_RESOURCE_GRAPH_MIN_APPS);
    expect(await port.prefetch([HUB, APP('orders'), APP('payments')])).toMatchObject({ name: 'arm' });
    expect(sent).toEqual([]);
    const many = Array.from({ length: AUTO_RESOURCE_GRAPH_MIN_APPS }, (_, index) => APP(`app-${index}`));
    expect(await port.prefetch([HUB, ...many])).toMatchObject({ name: 'resourceGraph' });
  });
});
