/**
 * `npm start`: serves the demo site and the built SDK on 127.0.0.1. Only loopback: the demo is
 * for looking at on this machine, not for exposing.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const PORT = Number(process.env.PORT ?? 4173);
const HOST = '127.0.0.1';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};
/** The demo runs under the strict policy the SDK promises to work with. */
const CSP = "default-src 'self'; script-src 'self'; worker-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:";

function resolveFile(pathname: string): string | undefined {
  const [base, rest] = pathname.startsWith('/dist/') ? [join(ROOT, 'dist'), pathname.slice(6)] : [join(ROOT, 'demo/site'), pathname.slice(1)];
  const file = normalize(join(base, rest || 'index.html'));
  return file.startsWith(base) ? file : undefined;
}

const server = createServer(async (request, response) => {
  const url = new URL(request.url ?? '/', `http://${HOST}`);
  const file = resolveFile(url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname);
  if (!file) return void response.writeHead(400).end();
  try {
    const body = await readFile(file);
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    response.end(body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
});

server.listen(PORT, HOST, () => {
  console.log(`insitu demo: http://${HOST}:${PORT}/`);
});
