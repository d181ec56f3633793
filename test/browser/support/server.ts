/**
 * A static server on 127.0.0.1 for browser tests: serves the built SDK (dist/) and the test pages,
 * with per-page response headers (CSP, Trusted Types), and records every request it receives so
 * tests can prove what did and did not leave the page.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';

const ROOT = resolve(import.meta.dirname, '../../..');
const DEFAULT_MOUNTS: Record<string, string> = {
  '/dist/': join(ROOT, 'dist'),
  '/pages/': join(ROOT, 'test/browser/pages'),
};
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.css': 'text/css',
};

export const STRICT_CSP = "default-src 'self'; worker-src 'self'; script-src 'self'; connect-src 'self'; style-src 'self'";

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
}

export interface TestServer {
  origin: string;
  requests: RecordedRequest[];
  /** Extra headers for paths starting with a prefix (e.g. a CSP for one page). */
  headers: Map<string, Record<string, string>>;
  /** Answer a path with a handler instead of a file (collector stand-ins, 404 workers, ...). */
  routes: Map<string, (request: RecordedRequest) => { status: number; body?: string; headers?: Record<string, string> }>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface TestServerOptions {
  /** More URL prefixes to serve from directories (absolute paths), e.g. `{ '/': '.../demo/site' }`; the defaults match first. */
  mounts?: Record<string, string>;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const mounts: Record<string, string> = { ...DEFAULT_MOUNTS, ...options.mounts };
  const requests: RecordedRequest[] = [];
  const headers = new Map<string, Record<string, string>>();
  const routes: TestServer['routes'] = new Map();
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const recorded = { method: request.method ?? 'GET', url: url.pathname + url.search, body: await readBody(request) };
    requests.push(recorded);
    const route = routes.get(url.pathname);
    if (route) {
      const answer = route(recorded);
      response.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      response.end(answer.body ?? '');
      return;
    }
    const mount = Object.keys(mounts).find((prefix) => url.pathname.startsWith(prefix));
    const file = mount ? normalize(join(mounts[mount]!, url.pathname.slice(mount.length) || 'index.html')) : undefined;
    if (!mount || !file || !file.startsWith(mounts[mount]!)) {
      response.writeHead(404).end();
      return;
    }
    try {
      const content = await readFile(file);
      const extra = [...headers.entries()].filter(([prefix]) => url.pathname.startsWith(prefix)).map(([, h]) => h);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...Object.assign({}, ...extra) });
      response.end(content);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    headers,
    routes,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
