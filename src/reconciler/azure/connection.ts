/**
 * How Lockdown reaches ARM: endpoint, credential and audience from settings. The same code
 * path serves Azure and the emulator; only these values differ.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { AzureAuthorityHosts, DefaultAzureCredential } from '@azure/identity';

export interface ArmConnection {
  endpoint: string;
  credential: TokenCredential;
  /** Token audience: "<cloud ARM audience>/.default". */
  scopes: string[];
  /** For logs: which kind of credential is in use, never the secret. */
  credentialKind: 'static-token' | 'default-azure-credential';
  /** Entra ID authority the credential signs in with (not used with a static token). */
  authorityHost?: string;
  /** The transport under the SDK pipelines; default: HTTPS. Tests pass one that calls the emulator in process. */
  httpClient?: HttpClient;
}

export const CLOUDS: Record<string, { endpoint: string; audience: string; authorityHost: string }> = {
  AzurePublicCloud: { endpoint: 'https://management.azure.com', audience: 'https://management.azure.com', authorityHost: AzureAuthorityHosts.AzurePublicCloud },
  AzureChinaCloud: { endpoint: 'https://management.chinacloudapi.cn', audience: 'https://management.chinacloudapi.cn', authorityHost: AzureAuthorityHosts.AzureChina },
  AzureUSGovernment: { endpoint: 'https://management.usgovcloudapi.net', audience: 'https://management.usgovcloudapi.net', authorityHost: AzureAuthorityHosts.AzureGovernment },
};

export type Settings = Record<string, string | undefined>;

/** A fixed bearer token (LOCKDOWN_ARM_TOKEN): for the emulator or a token minted elsewhere. */
export class StaticTokenCredential implements TokenCredential {
  readonly #token: string;
  constructor(token: string) {
    this.#token = token;
  }
  async getToken(): Promise<AccessToken> {
    return { token: this.#token, expiresOnTimestamp: Date.now() + 60 * 60 * 1000 };
  }
  toJSON(): string {
    return '[StaticTokenCredential]';
  }
}

export function connectionFromSettings(settings: Settings = process.env): ArmConnection {
  const cloudName = settings.LOCKDOWN_AZURE_CLOUD ?? 'AzurePublicCloud';
  const cloud = CLOUDS[cloudName];
  if (!cloud) {
    throw new Error(`LOCKDOWN_AZURE_CLOUD=${cloudName} is not a known cloud; use one of ${Object.keys(CLOUDS).join(', ')}`);
  }
  const endpoint = (settings.LOCKDOWN_ARM_ENDPOINT ?? cloud.endpoint).replace(/\/+$/, '');
  const scopes = [`${cloud.audience}/.default`];
  const token = settings.LOCKDOWN_ARM_TOKEN;
  if (token) return { endpoint, credential: new StaticTokenCredential(token), scopes, credentialKind: 'static-token' };
  const managedIdentityClientId = settings.LOCKDOWN_MANAGED_IDENTITY_CLIENT_ID ?? settings.AZURE_CLIENT_ID;
  // Sign-in happens in the cloud's own Entra ID authority.
  const credential = new DefaultAzureCredential({ authorityHost: cloud.authorityHost, ...(managedIdentityClientId ? { managedIdentityClientId } : {}) });
  return { endpoint, credential, scopes, credentialKind: 'default-azure-credential', authorityHost: cloud.authorityHost };
}
