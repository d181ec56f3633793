/**
 * Issue 8, the collector's HTTP input below the JSON layer (decoded bodies are fuzzed in
 * report/collector.test.ts): raw bytes on the socket — odd methods and paths, lying or duplicate
 * Content-Length, broken chunked encoding, huge headers, random bodies, connections cut mid-body.
 * The collector answers 4xx (or closes the connection), never crashes, counts nothing, and keeps
 * serving.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../../demo/collector/server.js';
import { prototypesClean } from './arbitraries.js';

let dir = '';
let collector: Collector;
let tried = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'insitu-collector-http-'));
  collector = await startCollector({ dataDir: dir, k: 1 });
});
afterAll(async () => {
  console.info(`raw HTTP requests tried on the collector: ${tried}`);
  await collector.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Write raw bytes, half-close or cut the connection, and read whatever comes back (status line only). */
function raw(bytes: Buffer, cut: boolean): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(collector.port, '127.0.0.1');
    let answer = '';
    const done = () => resolve(answer.split('\r\n')[0] ?? '');
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.on('connect', () => {
      socket.write(bytes);
      if (cut) socket.destroy();
      else socket.end();
    });
  });
}

const token = fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS', 'DELETE', 'PATCH', 'TRACE', 'CONNECT', 'post', 'P\u00d6ST'), fc.string({ minLength: 1, maxLength: 12 }));
const path = fc.oneof(fc.constantFrom('/v1/metrics', '/estimates', '/priors', '/requests', '/health', '/v1/metrics?x=1', '//v1/metrics', '/../etc/passwd', '*', '/%00', '/__proto__'), fc.string({ maxLength: 40 }).map((s) => `/${s}`));
const header = fc.oneof(
  fc.constantFrom(
    'Content-Type: application/json',
    'Content-Type: text/plain',
    'Content-Length: 5',
    'Content-Length: 999999',
    'Content-Length: -1',
    'Content-Length: 1, 2',
    'Transfer-Encoding: chunked',
    'Transfer-Encoding: chunked, identity',
    'Idempotency-Key: __proto__',
    `X-Big: ${'a'.repeat(20_000)}`,
    'Origin: http://evil.example',
  ),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 60 })).map(([name, value]) => `${name}: ${value}`),
);
const body = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.constantFrom('5\r\nhello\r\n0\r\n\r\n', 'zz\r\nnot-hex\r\n', '{"resourceMetrics":', '{"__proto__":{"polluted":1}}', '\u0000\u0001\u0002'),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

describe('the collector under raw HTTP', () => {
  it('never crashes, counts nothing, and keeps serving', { timeout: 120_000 }, async () => {
    const before = collector.totals().reports;
    await fc.assert(
      fc.asyncProperty(token, path, fc.array(header, { maxLength: 5 }), body, fc.boolean(), fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', ''), async (method, target, headers, payload, cut, version) => {
        tried++;
        const request = `${method} ${target} ${version}\r\nHost: 127.0.0.1\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}\r\n${payload}`;
        const status = await raw(Buffer.from(request, 'latin1'), cut);
        // Either no answer (the connection was cut or refused) or an HTTP answer that is not a 5xx crash.
        if (status) expect(status).toMatch(/^HTTP\/1\.[01] [1-4]\d\d /);
      }),
      { numRuns: 300 },
    );
    expect(collector.totals().reports).toBe(before);
    const health = await fetch(`${collector.url}/health`);
    expect(health.status).toBe(200);
    expect(prototypesClean()).toBe(true);
  });
});
