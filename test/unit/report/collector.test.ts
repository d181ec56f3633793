import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, startCollector, type Collector } from '../../../demo/collector/server.js';
import { REPORT_LOG_FILE } from '../../../demo/collector/report-log.js';
import { createReporter, REPORT_GRACE_MS } from '../../../worker/report/index.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import type { Priors } from '../../../worker/types.js';
import { decision, event, GRANTED, T0 } from './helpers.js';

const DUE = Date.UTC(2025, 0, 2) + REPORT_GRACE_MS;

/** A real report body from a device (a different seed gives a different report id). */
function reportBody(seed: number, group: 'personalized' | 'holdout' = 'personalized'): { id: string; body: Record<string, unknown> } {
  const reporter = createReporter({
    random: createSeededRandom(seed),
    clock: { now: () => T0 },
    config: { placements: ['home'], inHoldout: group === 'holdout', catalog: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] },
  });
  const shown = decision({ placement: 'home', policy: group, itemId: 'a' });
  reporter.observeDecision(shown);
  reporter.observeEvent(event({ type: 'click', decisionId: shown.decisionId, itemId: 'a' }));
  reporter.observeEvent(event({ type: 'view', itemId: 'b' }));
  const entry = reporter.buildDueReports(DUE, GRANTED)[0]!;
  return { id: entry.id, body: JSON.parse(JSON.stringify(entry.body)) };
}

async function post(collector: Collector, body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  const response = await fetch(`${collector.url}/v1/metrics`, { method: 'POST', body, headers });
  return { status: response.status, body: await response.text(), headers: response.headers };
}

const snapshot = (collector: Collector) => JSON.stringify(collector.estimates()) + collector.totals().reports;

describe('reference collector', () => {
  let dir: string;
  let collector: Collector;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'insitu-collector-'));
    collector = await startCollector({ dataDir: dir, k: 2, catalogIds: ['a', 'b', 'c'], allowedOrigins: ['http://127.0.0.1:5173'] });
  });
  afterAll(async () => {
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on 127.0.0.1 on an ephemeral port', () => {
    expect(collector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(collector.port).toBeGreaterThan(0);
  });

  it('accepts a report, counts a replay of its id once, and logs both with bodies', async () => {
    const { id, body } = reportBody(1);
    const text = JSON.stringify(body);
    expect(await post(collector, text, { 'Content-Type': 'application/json', 'Idempotency-Key': id })).toMatchObject({ status: 200, body: '{}' });
    const before = snapshot(collector);
    const replay = await post(collector, text);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('x-insitu-duplicate')).toBe('true');
    expect(snapshot(collector)).toBe(before);
    expect(collector.totals().reports).toBe(1);
    const log = await (await fetch(`${collector.url}/requests`)).json();
    const posts = log.requests.filter((r: { method: string }) => r.method === 'POST');
    expect(posts.slice(-2).map((r: { outcome: string; body: string }) => [r.outcome, r.body === text])).toEqual([
      ['accepted', true],
      ['duplicate: already counted', true],
    ]);
    expect(log.received).toBeGreaterThanOrEqual(3);
  });

  it('rejects an Idempotency-Key that is not the report id', async () => {
    const { body } = reportBody(2);
    expect((await post(collector, JSON.stringify(body), { 'Content-Type': 'application/json', 'Idempotency-Key': 'f'.repeat(32) })).status).toBe(400);
  });

  it('413 for an oversized or huge body, 415 for a wrong content type, and nothing changes', async () => {
    const before = snapshot(collector);
    expect((await post(collector, 'x'.repeat(MAX_BODY_BYTES + 1))).status).toBe(413);
    const { body } = reportBody(3);
    const padded = JSON.stringify({ ...body, padding: 'y'.repeat(2 * 1024 * 1024) });
    expect((await post(collector, padded)).status).toBe(413);
    expect((await post(collector, JSON.stringify(body), { 'Content-Type': 'text/plain' })).status).toBe(415);
    // Past the drain limit the collector answers 413 and hangs up; the client may see either.
    const hugeStatus = await post(collector, 'z'.repeat(12 * 1024 * 1024)).then((r) => r.status, () => 'connection closed');
    expect([413, 'connection closed']).toContain(hugeStatus);
    expect((await fetch(`${collector.url}/health`)).status).toBe(200);
    expect(snapshot(collector)).toBe(before);
  });

  it('400 for wrong types and out-of-range values, and nothing changes', async () => {
    const mutations: Array<(b: any) => void> = [
      (b) => (b.resourceMetrics[0].scopeMetrics[0].scope.attributes.find((a: any) => a.key === 'insitu.epsilon').value = { stringValue: '1' }),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].scope.attributes.find((a: any) => a.key === 'insitu.epsilon').value = { doubleValue: 1000 }),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].scope.attributes.find((a: any) => a.key === 'insitu.epsilon.items').value = { doubleValue: 5 }),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].asInt = 'many'),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints[0].asInt = '99999999999999999999'),
      (b) => b.resourceMetrics[0].scopeMetrics[0].metrics[1].sum.dataPoints.pop(),
      (b) => b.resourceMetrics[0].scopeMetrics[0].metrics.push({ name: 'free.text', sum: { aggregationTemporality: 1, dataPoints: [] } }),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].timeUnixNano = '1735689600000000001'),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].attributes[0].value.stringValue = 'x'.repeat(500)),
      (b) => (b.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.aggregationTemporality = 'DELTA'),
      (b) => (b.resourceMetrics[0].resource.attributes[2].value.stringValue = 'not-hex'),
      (b) => b.resourceMetrics[0].resource.attributes.push({ key: 'device.id', value: { stringValue: 'abc' } }),
      (b) => (b.resourceMetrics = [b.resourceMetrics[0], b.resourceMetrics[0]]),
      (b) => {
        const sketch = b.resourceMetrics[0].scopeMetrics[0].metrics.find((m: any) => m.name === 'insitu.items.sketch');
        sketch.sum.dataPoints[0].attributes[1].value.intValue = '999999';
      },
    ];
    const before = snapshot(collector);
    for (const [i, mutate] of mutations.entries()) {
      const { body } = reportBody(100 + i);
      mutate(body);
      const response = await post(collector, JSON.stringify(body));
      expect([i, response.status]).toEqual([i, 400]);
    }
    expect((await post(collector, '{not json')).status).toBe(400);
    expect(snapshot(collector)).toBe(before);
  });

  it('survives fuzzed bodies: arbitrary JSON, arbitrary text, and mutated reports never crash it or change totals', async () => {
    let before = snapshot(collector);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ maxLength: 200 })), async (text) => {
        const response = await post(collector, text ?? 'null');
        expect(response.status).toBe(400);
      }),
      { numRuns: 60 },
    );
    const { body } = reportBody(999);
    const paths = collectPaths(body);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.jsonValue(), async (path, value) => {
        const mutated = JSON.parse(JSON.stringify(body));
        setPath(mutated, path, value);
        const response = await post(collector, JSON.stringify(mutated));
        expect([200, 400]).toContain(response.status);
        // A mutation can leave a valid report (a different noised value): then it counts, once.
        if (response.status === 400) expect(snapshot(collector)).toBe(before);
        else before = snapshot(collector);
      }),
      { numRuns: 80 },
    );
    await post(collector, '{"__proto__":{"polluted":true},"resourceMetrics":[{"__proto__":{"x":1}}]}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await fetch(`${collector.url}/estimates`)).status).toBe(200);
  });

  it('answers the CORS preflight for the demo origin', async () => {
    const response = await fetch(`${collector.url}/v1/metrics`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:5173', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,idempotency-key' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:5173');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
    const other = await fetch(`${collector.url}/estimates`, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('suppresses cohorts smaller than k, then releases them', async () => {
    const estimates = await (await fetch(`${collector.url}/estimates`)).json();
    expect(estimates.k).toBe(2);
    expect(estimates.placements.home.groups.holdout).toEqual({ suppressed: 'fewer than 2 devices' });
    expect(estimates.placements.home.lift).toEqual({ suppressed: 'fewer than 2 devices' });
    for (const seed of [201, 202]) expect((await post(collector, JSON.stringify(reportBody(seed, 'holdout').body))).status).toBe(200);
    expect((await post(collector, JSON.stringify(reportBody(203).body))).status).toBe(200);
    const released = await (await fetch(`${collector.url}/estimates`)).json();
    expect(released.placements.home.groups.holdout.devices).toBe(2);
    expect(released.placements.home.lift.ctrDifference).toHaveProperty('estimate');
    expect(released.placements.home.cells.personalized.impressions).toHaveProperty('low');
  });

  it('serves priors in the engine format, built from the reports alone', async () => {
    const priors: Priors = await (await fetch(`${collector.url}/priors`)).json();
    expect(priors.version).toBe(1);
    for (const [id, weight] of Object.entries(priors.popularity)) {
      expect(['a', 'b', 'c']).toContain(id);
      expect(weight).toBeGreaterThan(0);
      expect(weight).toBeLessThanOrEqual(1);
    }
    expect(typeof priors.neighbours).toBe('object');
  });

  it('404 and 405 for other routes', async () => {
    expect((await fetch(`${collector.url}/nope`)).status).toBe(404);
    expect((await fetch(`${collector.url}/v1/metrics`)).status).toBe(405);
  });
});

describe('collector durability', () => {
  it('a restart keeps totals and de-duplication; a torn last line is skipped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'insitu-collector-'));
    try {
      const first = await startCollector({ dataDir: dir, k: 1 });
      const bodies = [reportBody(11), reportBody(12), reportBody(13, 'holdout')];
      for (const { body } of bodies) expect((await post(first, JSON.stringify(body))).status).toBe(200);
      const estimates = JSON.stringify(first.estimates());
      await first.close();
      appendFileSync(join(dir, REPORT_LOG_FILE), '{"resourceMetrics":[{"resou');

      const second = await startCollector({ dataDir: dir, k: 1 });
      expect(second.totals().reports).toBe(3);
      expect(JSON.stringify(second.estimates())).toBe(estimates);
      const replay = await post(second, JSON.stringify(bodies[0]!.body));
      expect(replay.headers.get('x-insitu-duplicate')).toBe('true');
      expect((await post(second, JSON.stringify(reportBody(14).body))).status).toBe(200);
      await second.close();

      const third = await startCollector({ dataDir: dir, k: 1 });
      expect(third.totals().reports).toBe(4);
      await third.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

type Path = Array<string | number>;
function collectPaths(value: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => collectPaths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectPaths(v, [...prefix, k], out);
  return out;
}
function setPath(root: any, path: Path, value: unknown): void {
  if (path.length === 0) return;
  let node = root;
  for (const key of path.slice(0, -1)) node = node[key];
  node[path[path.length - 1]!] = value;
}
