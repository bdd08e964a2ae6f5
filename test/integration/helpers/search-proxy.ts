/**
 * Test-only reverse proxy that lets the Elasticsearch 9 client talk to the stack's
 * OpenSearch, so the elasticsearch sink type runs its real code path in integration tests
 * (no Elasticsearch runs on these machines; see docs/sinks.md). Two things stand between
 * them, found in the client's code (@elastic/transport middleware/ProductCheck.js and
 * @elastic/elasticsearch lib/client.js):
 *
 * - the client rejects any 2xx response without `X-Elastic-Product: Elasticsearch`
 *   (ProductNotSupportedError): the proxy adds that header to every response;
 * - the client sends `application/vnd.elasticsearch+json; compatible-with=9` (and
 *   `+x-ndjson` for bulk) as Content-Type and Accept, which OpenSearch refuses with 406:
 *   the proxy rewrites them to `application/json` / `application/x-ndjson`.
 *
 * The v9 client makes no `GET /` version check before requests, so `version.number` is not
 * rewritten. Nothing else is touched: bodies pass through as they are.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SearchProxy {
  url: string;
  /** Requests forwarded so far. */
  requests: number;
  close(): Promise<void>;
}

function plainMediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value
    .replace(/application\/vnd\.elasticsearch\+x-ndjson[^,]*/g, 'application/x-ndjson')
    .replace(/application\/vnd\.elasticsearch\+json[^,]*/g, 'application/json');
}

export async function startSearchProxy(targetUrl: string): Promise<SearchProxy> {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true });
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    const headers = { ...req.headers, host: target.host };
    const contentType = plainMediaType(req.headers['content-type']);
    const accept = plainMediaType(req.headers.accept);
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (accept !== undefined) headers.accept = accept;
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-elastic-product': 'Elasticsearch' });
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`search proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
