/**
 * `npm start`: serves the demo bookshop and the built SDK on 127.0.0.1, with the reference collector
 * mounted on the same origin (reports need no CORS, and `connect-src 'self'` holds). Only loopback:
 * the demo is for looking at on this machine, not for exposing.
 *
 *   /                 the shop (demo/site)          /dist/*        the built SDK
 *   /v1/metrics       the collector's report intake /collector/*   its estimates, priors, requests
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';
import { openCollector, type CollectorHandler } from './collector/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const SITE = join(ROOT, 'demo/site');
const DIST = join(ROOT, 'dist');
export const DEFAULT_PORT = 4173;
const HOST = '127.0.0.1';
/** Where `npm start` keeps the collector's reports, so a restart loses nothing (git-ignored). */
const DEFAULT_COLLECTOR_DIR = join(ROOT, '.tmp/demo-collector');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.ico': 'image/x-icon',
};
/** The demo runs under the strict policy the SDK promises to work with. */
export const CSP = "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:";
const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // A demo that changes between builds: never let the browser serve yesterday's SDK.
  'cache-control': 'no-store',
};
/** The collector's read routes, as the dashboard in the audit panel reaches them. */
const COLLECTOR_PREFIX = '/collector/';
const COLLECTOR_INTAKE = '/v1/metrics';

export interface DemoServerOptions {
  port?: number;
  /** The collector's data directory (reports.jsonl). */
  collectorDataDir?: string;
  /** Minimum devices per cohort before the collector releases a figure. */
  k?: number;
}

export interface DemoServer {
  origin: string;
  port: number;
  collector: CollectorHandler;
  close(): Promise<void>;
}

function staticFile(pathname: string): string | undefined {
  const [base, rest] = pathname.startsWith('/dist/') ? [DIST, pathname.slice('/dist/'.length)] : [SITE, pathname.slice(1)];
  const file = normalize(join(base, rest || 'index.html'));
  return file.startsWith(base) ? file : undefined;
}

async function serveStatic(pathname: string, response: ServerResponse): Promise<void> {
  const file = staticFile(pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  if (!file) return void response.writeHead(400).end();
  try {
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...SECURITY_HEADERS });
    response.end(body);
  } catch {
    const hint = pathname.startsWith('/dist/') ? 'not found: run `npm run build` first' : 'not found';
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end(hint);
  }
}

async function catalogIds(): Promise<string[]> {
  const books = JSON.parse(await readFile(join(SITE, 'data/books.json'), 'utf8')) as Array<{ id: string }>;
  return books.map((book) => book.id);
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const collector = await openCollector({
    dataDir: options.collectorDataDir ?? DEFAULT_COLLECTOR_DIR,
    catalogIds: await catalogIds(),
    // Same origin: no page elsewhere may post reports here or read the dashboard.
    allowedOrigins: [],
    ...(options.k !== undefined ? { k: options.k } : {}),
  });

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', `http://${HOST}`);
    if (url.pathname === COLLECTOR_INTAKE) return collector.handle(request, response);
    if (url.pathname.startsWith(COLLECTOR_PREFIX)) {
      request.url = `/${url.pathname.slice(COLLECTOR_PREFIX.length)}${url.search}`;
      return collector.handle(request, response);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { allow: 'GET, HEAD' }).end();
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return void response.writeHead(400).end();
    }
    void serveStatic(pathname, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  };

  const server = createServer(handle);
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? DEFAULT_PORT, HOST, () => {
      server.off('error', fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://${HOST}:${port}`,
    port,
    collector,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await collector.close();
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const demo = await startDemoServer({ port: Number(process.env.PORT ?? DEFAULT_PORT) });
  console.log(`insitu demo: ${demo.origin}/  (collector: ${demo.origin}${COLLECTOR_INTAKE}, dashboard data under ${demo.origin}${COLLECTOR_PREFIX})`);
  const stop = () => void demo.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
