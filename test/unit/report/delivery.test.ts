import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCollector, type Collector } from '../../../demo/collector/server.js';
import type { Transport } from '../../../worker/engine-types.js';
import { createFetchTransport, parseRetryAfter } from '../../../worker/fetch-transport.js';
import {
  createMemoryOutbox,
  deliver,
  enqueue,
  MAX_DELIVERY_ATTEMPTS,
  MAX_OUTBOX_AGE_MS,
  MAX_OUTBOX_ENTRIES,
  RETRY_BASE_MS,
  retryDelay,
} from '../../../worker/report/delivery.js';
import { createReporter, REPORT_GRACE_MS } from '../../../worker/report/index.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import type { OutboxEntry } from '../../../worker/types.js';
import { decision, GRANTED, METRICS_DENIED, METRICS_PENDING, T0 } from './helpers.js';

const URL_ = 'https://collector.test/v1/metrics';
const random = createSeededRandom(9);

function entry(id: string, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return { id, createdAt: T0, attempts: 0, nextAttemptAt: T0, body: { report: id }, ...over };
}

/** A transport answering from a script of statuses, recording every call. */
function scripted(...answers: Array<{ status: number; retryAfterMs?: number } | 'throw'>) {
  const calls: Array<{ url: string; body: string; keepalive: boolean; idempotencyKey: string }> = [];
  const transport: Transport = {
    async send(url, body, options) {
      calls.push({ url, body, ...options });
      const answer = answers.shift() ?? { status: 200 };
      if (answer === 'throw') throw new TypeError('Failed to fetch');
      return answer;
    },
  };
  return { transport, calls };
}

describe('delivery rules', () => {
  it('sends with keepalive and the report id as idempotency key, then removes the entry', async () => {
    const outbox = createMemoryOutbox([entry('r1')]);
    const { transport, calls } = scripted({ status: 200 });
    const result = await deliver(outbox, transport, GRANTED, T0, { url: URL_, random });
    expect(result.outcomes).toEqual([{ id: 'r1', outcome: 'sent', status: 200 }]);
    expect(calls).toEqual([{ url: URL_, body: '{"report":"r1"}', keepalive: true, idempotencyKey: 'r1' }]);
    expect(outbox.entries()).toEqual([]);
  });

  it('retries 5xx and network errors with exponential backoff and full jitter', async () => {
    const outbox = createMemoryOutbox([entry('r1')]);
    const { transport, calls } = scripted({ status: 503 }, 'throw', { status: 0 }, { status: 200 });
    let now = T0;
    const windows: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await deliver(outbox, transport, GRANTED, now, { url: URL_, random });
      const outcome = result.outcomes[0]!;
      expect(outcome.outcome).toBe('retry');
      const wait = (outcome as { nextAttemptAt: number }).nextAttemptAt - now;
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(RETRY_BASE_MS * 2 ** (attempt - 1));
      windows.push(wait);
      expect(outbox.entries()[0]!.attempts).toBe(attempt);
      // Not due yet: nothing is sent.
      if (wait > 0) expect((await deliver(outbox, transport, GRANTED, now + wait - 1, { url: URL_, random })).outcomes).toEqual([]);
      now += wait;
    }
    expect((await deliver(outbox, transport, GRANTED, now, { url: URL_, random })).outcomes[0]!.outcome).toBe('sent');
    expect(calls).toHaveLength(4);
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set(['r1']));
  });

  it('full jitter spreads delays over the whole doubling window', () => {
    const jitter = createSeededRandom(1);
    for (const attempt of [1, 3, 5]) {
      const window = RETRY_BASE_MS * 2 ** (attempt - 1);
      const delays = Array.from({ length: 2000 }, () => retryDelay(attempt, jitter));
      expect(Math.max(...delays)).toBeLessThan(window);
      expect(Math.max(...delays)).toBeGreaterThan(0.95 * window);
      expect(Math.min(...delays)).toBeLessThan(0.05 * window);
    }
  });

  it('honours Retry-After on 429', async () => {
    const outbox = createMemoryOutbox([entry('r1')]);
    const { transport } = scripted({ status: 429, retryAfterMs: 600_000 });
    const result = await deliver(outbox, transport, GRANTED, T0, { url: URL_, random });
    expect(result.outcomes[0]).toMatchObject({ outcome: 'retry', status: 429 });
    expect(outbox.entries()[0]!.nextAttemptAt).toBeGreaterThanOrEqual(T0 + 600_000);
  });

  it('drops on 400 and other client errors without retrying', async () => {
    for (const status of [400, 404, 413, 415]) {
      const outbox = createMemoryOutbox([entry('r1')]);
      const { transport, calls } = scripted({ status });
      const result = await deliver(outbox, transport, GRANTED, T0, { url: URL_, random });
      expect(result.outcomes).toEqual([{ id: 'r1', outcome: 'dropped', status, reason: 'rejected' }]);
      expect(outbox.entries()).toEqual([]);
      expect(calls).toHaveLength(1);
    }
  });

  it(`drops after ${MAX_DELIVERY_ATTEMPTS} attempts`, async () => {
    const outbox = createMemoryOutbox([entry('r1', { attempts: MAX_DELIVERY_ATTEMPTS - 1 })]);
    const { transport } = scripted({ status: 500 });
    const result = await deliver(outbox, transport, GRANTED, T0, { url: URL_, random });
    expect(result.outcomes).toEqual([{ id: 'r1', outcome: 'dropped', status: 500, reason: 'attempts_exhausted' }]);
    expect(outbox.entries()).toEqual([]);
  });

  it('stops the round at the first retryable failure', async () => {
    const outbox = createMemoryOutbox([entry('a', { createdAt: T0 - 2 }), entry('b', { createdAt: T0 - 1 }), entry('c')]);
    const { transport, calls } = scripted({ status: 200 }, { status: 503 });
    await deliver(outbox, transport, GRANTED, T0, { url: URL_, random });
    expect(calls.map((c) => c.idempotencyKey)).toEqual(['a', 'b']);
    expect(outbox.entries().map((e) => e.id).sort()).toEqual(['b', 'c']);
  });

  it('sends nothing without metrics granted; a withdrawal empties the outbox', async () => {
    const outbox = createMemoryOutbox([entry('r1'), entry('r2')]);
    const { transport, calls } = scripted();
    expect(await deliver(outbox, transport, METRICS_PENDING, T0, { url: URL_, random })).toEqual({ withheld: 'consent_pending', outcomes: [] });
    expect(outbox.entries()).toHaveLength(2);
    expect(await deliver(outbox, transport, METRICS_DENIED, T0, { url: URL_, random })).toEqual({ withheld: 'consent_denied', outcomes: [] });
    expect(outbox.entries()).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('bounds the outbox and drops stale reports', async () => {
    const outbox = createMemoryOutbox();
    const entries = Array.from({ length: MAX_OUTBOX_ENTRIES + 3 }, (_, i) => entry(`r${i}`, { createdAt: T0 + i }));
    const dropped = await enqueue(outbox, entries);
    expect(dropped.map((d) => d.id)).toEqual(['r0', 'r1', 'r2']);
    expect(outbox.entries()).toHaveLength(MAX_OUTBOX_ENTRIES);
    const { transport, calls } = scripted();
    const result = await deliver(outbox, transport, GRANTED, T0 + MAX_OUTBOX_AGE_MS + 10, { url: URL_, random });
    expect(result.outcomes.filter((o) => o.outcome === 'dropped')).toHaveLength(7);
    expect(calls).toHaveLength(MAX_OUTBOX_ENTRIES - 7);
  });
});

describe('delivery to the reference collector', () => {
  let collector: Collector | undefined;
  let dir = '';
  afterEach(async () => {
    await collector?.close();
    collector = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function builtReport(): Promise<OutboxEntry> {
    const reporter = createReporter({ random: createSeededRandom(3), clock: { now: () => T0 }, config: { placements: ['home'] } });
    reporter.observeDecision(decision());
    return reporter.buildDueReports(Date.UTC(2025, 0, 2) + REPORT_GRACE_MS, GRANTED)[0]!;
  }

  it('a retry after a lost response is counted once (idempotency)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'insitu-collector-'));
    collector = await startCollector({ dataDir: dir, k: 1 });
    const fetchTransport = createFetchTransport();
    let first = true;
    // The collector gets the report but the device never hears back: it must retry.
    const lossy: Transport = {
      async send(url, body, options) {
        const result = await fetchTransport.send(url, body, options);
        if (first) {
          first = false;
          return { status: 0 };
        }
        return result;
      },
    };
    const report = await builtReport();
    const outbox = createMemoryOutbox([report]);
    const url = `${collector.url}/v1/metrics`;
    const one = await deliver(outbox, lossy, GRANTED, report.createdAt, { url, random });
    expect(one.outcomes[0]!.outcome).toBe('retry');
    const retryAt = outbox.entries()[0]!.nextAttemptAt;
    const two = await deliver(outbox, lossy, GRANTED, retryAt, { url, random });
    expect(two.outcomes[0]).toMatchObject({ outcome: 'sent', status: 200 });
    expect(collector.totals().reports).toBe(1);
    const log = collector.requests().requests.filter((r) => r.method === 'POST');
    expect(log.map((r) => r.outcome)).toEqual(['accepted', 'duplicate: already counted']);
  });

  it('a 503 with Retry-After from the collector is honoured, then the report lands', async () => {
    dir = mkdtempSync(join(tmpdir(), 'insitu-collector-'));
    let failures = 1;
    collector = await startCollector({
      dataDir: dir,
      k: 1,
      faultInjector: () => (failures-- > 0 ? { status: 503, retryAfterSeconds: 120 } : undefined),
    });
    const report = await builtReport();
    const now = report.createdAt;
    const outbox = createMemoryOutbox([report]);
    const url = `${collector.url}/v1/metrics`;
    const transport = createFetchTransport({ now: () => now });
    const one = await deliver(outbox, transport, GRANTED, now, { url, random });
    expect(one.outcomes[0]).toMatchObject({ outcome: 'retry', status: 503 });
    expect(outbox.entries()[0]!.nextAttemptAt).toBeGreaterThanOrEqual(now + 120_000);
    await deliver(outbox, transport, GRANTED, now + 120_000 + RETRY_BASE_MS, { url, random });
    expect(outbox.entries()).toEqual([]);
    expect(collector.totals().reports).toBe(1);
  });
});

describe('fetch transport', () => {
  it('maps a network failure to status 0 and sends the idempotency header', async () => {
    const seen: RequestInit[] = [];
    const failing = createFetchTransport({
      fetch: async (_input, init) => {
        seen.push(init!);
        throw new TypeError('Failed to fetch');
      },
    });
    expect(await failing.send(URL_, '{}', { keepalive: true, idempotencyKey: 'k1' })).toEqual({ status: 0 });
    expect(seen[0]).toMatchObject({ method: 'POST', keepalive: true, credentials: 'omit', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'k1' } });
  });

  it('reads Retry-After as seconds or as an HTTP date', async () => {
    const now = Date.UTC(2025, 0, 1, 12);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter(new Date(now - 90_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    const transport = createFetchTransport({
      fetch: async () => new Response('', { status: 429, headers: { 'Retry-After': '30' } }),
      now: () => now,
    });
    expect(await transport.send(URL_, '{}', { keepalive: true, idempotencyKey: 'k' })).toEqual({ status: 429, retryAfterMs: 30_000 });
  });
});
