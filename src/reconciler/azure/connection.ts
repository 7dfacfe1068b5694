/**
 * How Lockdown reaches ARM: endpoint, credential and audience from settings. The same code
 * path serves Azure and the emulator; only these values differ.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import type { HttpClient } from '@azure/core-rest-pipeline';
import { identitySdk } from './sdk';

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

/** Authority hosts as @azure/identity's AzureAuthorityHosts has them (written out: that package loads only when a token is needed). */
export const CLOUDS: Record<string, { endpoint: string; audience: string; authorityHost: string }> = {
  AzurePublicCloud: { endpoint: 'https://management.azure.com', audience: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com' },
  AzureChinaCloud: { endpoint: 'https://management.chinacloudapi.cn', audience: 'https://management.chinacloudapi.cn', authorityHost: 'https://login.chinacloudapi.cn' },
  AzureUSGovernment: { endpoint: 'https://management.usgovcloudapi.net', audience: 'https://management.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' },
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

/** DefaultAzureCredential, made (and @azure/identity loaded) on the first token request. */
export class LazyDefaultAzureCredential implements TokenCredential {
  readonly #options: { authorityHost?: string; managedIdentityClientId?: string };
  #credential?: TokenCredential;
  constructor(options: { authorityHost?: string; managedIdentityClientId?: string }) {
    this.#options = options;
  }
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    const { DefaultAzureCredential } = identitySdk();
    this.#credential ??= this.#options.managedIdentityClientId
      ? new DefaultAzureCredential({ ...this.#options, managedIdentityClientId: this.#options.managedIdentityClientId })
      : new DefaultAzureCredential({ authorityHost: this.#options.authorityHost });
    return this.#credential.getToken(scopes, options);
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
  const credential = new LazyDefaultAzureCredential({ authorityHost: cloud.authorityHost, ...(managedIdentityClientId ? { managedIdentityClientId } : {}) });
  return { endpoint, credential, scopes, credentialKind: 'default-azure-credential', authorityHost: cloud.authorityHost };
}
