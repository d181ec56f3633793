/**
 * The reference collector: receives insitu's OTLP/HTTP JSON reports, keeps debiased totals on
 * disk, and serves estimates, lift and catalog priors. Node's http only, 127.0.0.1 by default.
 *
 * POST /v1/metrics  a report (application/json, ≤ MAX_BODY_BYTES): 200 `{}` when accepted or
 *                   already seen (same report id: counted once), 400 invalid, 413 too large,
 *                   415 not JSON. A rejected body changes nothing.
 * GET  /estimates   debiased totals, 95% intervals, lift (cohorts of at least k devices)
 * GET  /priors      catalog priors built from the reports alone (engine `Priors` format)
 * GET  /requests    every request received, with its body (for tests and the audit panel)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Priors } from '../../worker/types.js';
import { decodeReport } from './decode.js';
import { buildEstimates, DEFAULT_MIN_COHORT, type Estimates } from './estimates.js';
import { buildPriors, combinedOracle } from './priors.js';
import { openReportLog, type ReportLog } from './report-log.js';
import { addReport, admissionError, emptyTotals, type CollectorTotals } from './totals.js';

/** Largest report body: browsers cap `keepalive` bodies at 64 KB, and a report is a few KB. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Past this much of an oversized body, stop reading and close the connection. */
export const MAX_DRAIN_BYTES = 8 * 1024 * 1024;

/** Requests kept in the audit log (the count of all requests is kept apart). */
export const REQUEST_LOG_LIMIT = 200;

/** Slow or stalled uploads are cut off after this long. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface CollectorOptions {
  port?: number;
  host?: string;
  dataDir: string;
  /** Minimum devices in a cohort before its figures are released. */
  k?: number;
  /** Catalog item ids, needed for /priors (reports never carry ids). */
  catalogIds?: string[];
  /** Origins allowed to call the collector from a page; `*` allows any. */
  allowedOrigins?: string[];
  /** Demo and test hook: answer a POST with this status instead of processing it. */
  faultInjector?: (request: { method: string; path: string }) => { status: number; retryAfterSeconds?: number } | undefined;
}

export interface RequestLogEntry {
  seq: number;
  receivedAt: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
  bytes: number;
  idempotencyKey?: string;
  body: string;
  bodyTruncated?: boolean;
}

export interface Collector {
  url: string;
  port: number;
  totals(): CollectorTotals;
  estimates(): Estimates;
  priors(): Priors;
  requests(): { received: number; requests: RequestLogEntry[] };
  close(): Promise<void>;
}

/** The collector without its own listener: mount `handle` in another server (the demo does, on its origin). */
export interface CollectorHandler extends Omit<Collector, 'url' | 'port'> {
  /** Answers one request; paths are the collector's own (`/v1/metrics`, `/estimates`, ...). */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export async function openCollector(options: Omit<CollectorOptions, 'port' | 'host'>): Promise<CollectorHandler> {
  const k = options.k ?? DEFAULT_MIN_COHORT;
  const allowed = options.allowedOrigins ?? ['*'];
  const catalogIds = options.catalogIds ?? [];

  const log: ReportLog = await openReportLog(options.dataDir);
  const totals = emptyTotals();
  const seen = new Set<string>();
  for (const body of log.bodies) {
    const decoded = decodeReport(body);
    if (!decoded.ok || seen.has(decoded.report.reportId) || admissionError(totals, decoded.report)) continue;
    seen.add(decoded.report.reportId);
    addReport(totals, decoded.report);
  }

  let received = 0;
  const requestLog: RequestLogEntry[] = [];
  let priorsCache: { reports: number; priors: Priors } | undefined;
  const priors = (): Priors => {
    if (priorsCache?.reports !== totals.reports) {
      priorsCache = { reports: totals.reports, priors: buildPriors(catalogIds, combinedOracle(totals.items.values()), combinedOracle(totals.pairs.values())) };
    }
    return priorsCache.priors;
  };

  const record = (entry: Omit<RequestLogEntry, 'seq' | 'receivedAt'>): void => {
    requestLog.push({ seq: received, receivedAt: new Date().toISOString(), ...entry });
    if (requestLog.length > REQUEST_LOG_LIMIT) requestLog.shift();
  };

  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    const headers: Record<string, string> = {
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, Idempotency-Key',
      'Access-Control-Expose-Headers': 'Retry-After',
      'Access-Control-Max-Age': '600',
    };
    if (allowed.includes('*')) headers['Access-Control-Allow-Origin'] = '*';
    else if (typeof origin === 'string' && allowed.includes(origin)) {
      headers['Access-Control-Allow-Origin'] = origin;
      headers.Vary = 'Origin';
    }
    return headers;
  };

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...corsHeaders(req), ...extra });
    res.end(text);
  };

  const handlePost = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const idempotencyKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    const reply = (status: number, outcome: string, body: { text: string; bytes: number; truncated?: boolean }, extra: Record<string, string> = {}) => {
      record({
        method: 'POST',
        path,
        status,
        outcome,
        bytes: body.bytes,
        ...(idempotencyKey ? { idempotencyKey: idempotencyKey.slice(0, 128) } : {}),
        body: body.text,
        ...(body.truncated ? { bodyTruncated: true } : {}),
      });
      send(req, res, status, status === 200 ? {} : { error: outcome }, extra);
    };

    const declared = Number(req.headers['content-length']);
    const upload = await readBody(req, Number.isFinite(declared) && declared > MAX_DRAIN_BYTES);
    if (upload.aborted) {
      record({ method: 'POST', path, status: 0, outcome: 'aborted by the client', bytes: upload.bytes, body: '' });
      res.destroy();
      return;
    }
    if (upload.tooLarge) {
      reply(413, `body larger than ${MAX_BODY_BYTES} bytes`, { text: upload.text, bytes: upload.bytes, truncated: true }, { Connection: 'close' });
      if (upload.bytes > MAX_DRAIN_BYTES || declared > MAX_DRAIN_BYTES) res.once('finish', () => req.socket.destroy());
      return;
    }
    const body = { text: upload.text, bytes: upload.bytes };
    const fault = options.faultInjector?.({ method: 'POST', path });
    if (fault) {
      const extra: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
      return reply(fault.status, 'fault injected', body, extra);
    }
    const contentType = String(req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (contentType !== 'application/json') return reply(415, 'content type must be application/json', body);
    let parsed: unknown;
    try {
      parsed = JSON.parse(upload.text);
    } catch {
      return reply(400, 'body is not JSON', body);
    }
    const decoded = decodeReport(parsed);
    if (!decoded.ok) return reply(400, decoded.error, body);
    const report = decoded.report;
    if (idempotencyKey !== undefined && idempotencyKey !== report.reportId) return reply(400, 'Idempotency-Key does not match the report id', body);
    if (seen.has(report.reportId)) return reply(200, 'duplicate: already counted', body, { 'X-Insitu-Duplicate': 'true' });
    const refusal = admissionError(totals, report);
    if (refusal) return reply(400, refusal, body);
    seen.add(report.reportId);
    try {
      await log.append(parsed);
    } catch {
      seen.delete(report.reportId);
      return reply(503, 'could not store the report', body, { 'Retry-After': '60' });
    }
    addReport(totals, report);
    reply(200, 'accepted', body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    received += 1;
    const method = req.method ?? 'GET';
    const path = safePath(req.url);
    if (method === 'OPTIONS') {
      record({ method, path, status: 204, outcome: 'preflight', bytes: 0, body: '' });
      res.writeHead(204, corsHeaders(req));
      res.end();
      return;
    }
    if (method === 'POST' && path === '/v1/metrics') return handlePost(req, res, path);
    req.resume();
    let status = 200;
    if (method === 'GET' && path === '/estimates') send(req, res, status, buildEstimates(totals, k));
    else if (method === 'GET' && path === '/priors') send(req, res, status, priors());
    else if (method === 'GET' && path === '/requests') send(req, res, status, { received, requests: requestLog });
    else if (method === 'GET' && path === '/health') send(req, res, status, { ok: true, reports: totals.reports });
    else {
      status = path === '/v1/metrics' ? 405 : 404;
      send(req, res, status, { error: status === 405 ? 'method not allowed' : 'not found' });
    }
    // The audit log holds report traffic and errors, not its own polling.
    if (path !== '/requests') record({ method, path, status, outcome: status === 200 ? 'ok' : 'error', bytes: 0, body: '' });
  };

  return {
    handle(req, res) {
      handle(req, res).catch(() => {
        if (!res.headersSent) send(req, res, 500, { error: 'internal error' });
        else res.destroy();
      });
    },
    totals: () => totals,
    estimates: () => buildEstimates(totals, k),
    priors,
    requests: () => ({ received, requests: [...requestLog] }),
    close: () => log.close(),
  };
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const host = options.host ?? '127.0.0.1';
  const collector = await openCollector(options);
  const server: Server = createServer(collector.handle);
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host}:${port}`,
    port,
    totals: collector.totals,
    estimates: collector.estimates,
    priors: collector.priors,
    requests: collector.requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await collector.close();
    },
  };
}

function safePath(url: string | undefined): string {
  try {
    return new URL(url ?? '/', 'http://collector').pathname;
  } catch {
    return '/';
  }
}

/** Read a body up to MAX_BODY_BYTES; past it, keep draining (up to MAX_DRAIN_BYTES) and flag it. */
function readBody(req: IncomingMessage, giveUpNow: boolean): Promise<{ text: string; bytes: number; tooLarge: boolean; aborted: boolean }> {
  return new Promise((resolve) => {
    if (giveUpNow) {
      req.resume();
      resolve({ text: '', bytes: 0, tooLarge: true, aborted: false });
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (aborted: boolean) => {
      if (settled) return;
      settled = true;
      const tooLarge = bytes > MAX_BODY_BYTES;
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ text: tooLarge ? text.slice(0, 1024) : text, bytes, tooLarge, aborted });
    };
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (bytes > MAX_DRAIN_BYTES) {
        req.pause();
        finish(false);
      }
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(true));
    // A body cut off before its end is never processed, even if what arrived happens to parse.
    req.on('close', () => finish(!req.complete));
  });
}
