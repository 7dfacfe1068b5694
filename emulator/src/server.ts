/** HTTPS server: ARM requests go through the pipeline, /_admin/* to the admin API. */
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdmin, handleAdminHttp } from './admin';
import { loadTlsMaterial } from './certs';
import { EmulatorCore } from './core';
import { processArmRequest } from './pipeline';
import type { EmulatorOptions, RunningEmulator } from './types';

const MAX_BODY = 10 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h = { ...headers };
  if (payload !== undefined) h['Content-Type'] ??= 'application/json; charset=utf-8';
  res.writeHead(status, h);
  res.end(payload);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const tls = await loadTlsMaterial();
  const core = new EmulatorCore(options);
  const admin = createAdmin(core);

  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void (async () => {
      try {
        const rawBody = await readBody(req);
        const url = req.url ?? '/';
        const pathOnly = url.split('?')[0];
        const adminMatch = /^\/_admin(\/.*)?$/i.exec(pathOnly);
        if (adminMatch) {
          const r = await handleAdminHttp(admin, core, req.method ?? 'GET', adminMatch[1] ?? '/', rawBody);
          send(res, r.status, { 'Cache-Control': 'no-cache' }, r.body);
          return;
        }
        const out = await processArmRequest(core, {
          method: req.method ?? 'GET',
          url,
          headers: flatHeaders(req),
          rawBody,
          baseUrl: `https://${req.headers.host ?? core.baseUrl.replace(/^https:\/\//, '')}`,
        });
        if (out.reset) {
          req.socket.destroy();
          return;
        }
        send(res, out.status, out.headers, out.body);
      } catch (e) {
        if (!res.headersSent)
          send(res, 500, {}, { error: { code: 'InternalServerError', message: `Emulator error: ${(e as Error).message}` } });
        else res.destroy();
      }
    })();
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `https://${publicHost}:${port}`;
  core.baseUrl = url;

  let stopped: Promise<void> | undefined;
  return {
    url,
    adminUrl: `${url}/_admin`,
    admin,
    caCertPath: tls.caPath,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        core.eventGrid.configure(undefined);
        core.eventGrid.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
