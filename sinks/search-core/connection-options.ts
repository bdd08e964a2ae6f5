/** TLS and auth options of a search sink, in the shape both official clients accept. */
import fs from 'node:fs';
import type { ResolvedSinkConfig } from '../core/destination.ts';

export type SearchSinkConfig = Extract<ResolvedSinkConfig, { type: 'opensearch' | 'elasticsearch' }>;

export function tlsOptions(
  config: SearchSinkConfig,
): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean } | undefined {
  const tls = config.tls;
  if (!tls) return undefined;
  return {
    ...(tls.caFile ? { ca: fs.readFileSync(tls.caFile) } : {}),
    ...(tls.certFile ? { cert: fs.readFileSync(tls.certFile) } : {}),
    ...(tls.keyFile ? { key: fs.readFileSync(tls.keyFile) } : {}),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

export function authOptions(
  config: SearchSinkConfig,
): { username: string; password: string } | { apiKey: string } | undefined {
  return config.auth;
}

/** A client error to a reply: an HTTP status when the engine answered, else unreachable. */
export function errorReply(err: unknown, retryAfter: (headers: Record<string, unknown>) => number | undefined) {
  const e = err as {
    name?: string;
    message?: string;
    meta?: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> };
  };
  const status = e.meta?.statusCode;
  if (e.name === 'ResponseError' && typeof status === 'number' && status > 0) {
    const headers = e.meta?.headers ?? {};
    const retryAfterMs = retryAfter(headers);
    return {
      kind: 'response' as const,
      statusCode: status,
      body: e.meta?.body,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  return { kind: 'unreachable' as const, reason: `${e.name ?? 'Error'}: ${e.message ?? String(err)}` };
}
