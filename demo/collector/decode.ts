/**
 * Decodes and validates one OTLP/HTTP JSON body into an AggregateReport. Strict: anything that is
 * not exactly what an insitu device sends (wrong type, out-of-range value, missing or extra data
 * point, inconsistent ε accounting) is rejected whole, so a bad body never touches the totals.
 * Keyed data goes through Maps: a placement called `__proto__` is only a string here.
 */
import { MIN_REPORT_PERIOD_MS } from '../../worker/report/aggregator.js';
import { ATTR, BOUND_NAMES, CELL_METRIC, METRIC, OTLP_SCOPE_NAME, OTLP_SERVICE_NAME } from '../../worker/report/otlp.js';
import { MAX_REPORT_EPSILON, MAX_REPORT_PLACEMENTS } from '../../worker/report/privatize.js';
import {
  ARMS,
  CELL_FAMILIES,
  DEVICE_GROUPS,
  ENGAGEMENT_STATES,
  REPORTED_STORAGE_MODES,
  REPORT_PARTS,
  REPORT_SCHEMA_VERSION,
  type AggregateReport,
  type ContributionBounds,
  type DeviceGroup,
  type EngagementState,
  type EpsilonSplit,
  type NoisedCell,
  type ReportedStorageMode,
  type SketchAnswer,
} from '../../worker/report/report-types.js';
import { SKETCH_MAX_WIDTH } from '../../worker/report/sketch.js';
import { PLACEMENT_PATTERN } from '../../worker/report/index.js';

/** Largest |noised value| accepted: far beyond any noise at MAX_REPORT_EPSILON's smallest share. */
export const MAX_NOISED_VALUE = 1e9;
/** Hash rows a report may use (the collector keeps rows × width counts per setting). */
export const MAX_SKETCH_ROWS = 4096;
/** Padding of an item set: the device's M is 8; more would only mean a misconfigured device. */
export const MAX_SKETCH_PADDING = 64;
/** Relative tolerance on "the parts add up to ε" (floating point only). */
const EPSILON_TOLERANCE = 1e-9;
const REPORT_ID_PATTERN = /^[0-9a-f]{32}$/;

export type DecodeResult = { ok: true; report: AggregateReport } | { ok: false; error: string };

class Rejection extends Error {}
function fail(message: string): never {
  throw new Rejection(message);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function decodeReport(body: unknown): DecodeResult {
  try {
    return { ok: true, report: decode(body) };
  } catch (error) {
    if (error instanceof Rejection) return { ok: false, error: error.message };
    return { ok: false, error: 'malformed report' };
  }
}

type AttrValue = string | number | boolean;

/** Attributes into a Map; duplicate keys and unsupported value kinds are rejected. */
function readAttributes(list: unknown, where: string): Map<string, AttrValue> {
  if (list === undefined) return new Map();
  if (!Array.isArray(list) || list.length > 64) fail(`${where}: attributes must be an array of at most 64`);
  const map = new Map<string, AttrValue>();
  for (const kv of list) {
    if (!isRecord(kv) || typeof kv.key !== 'string' || !isRecord(kv.value)) fail(`${where}: attribute must be { key, value }`);
    if (map.has(kv.key)) fail(`${where}: duplicate attribute ${kv.key}`);
    const v = kv.value;
    if (typeof v.stringValue === 'string' && v.stringValue.length <= 1024) map.set(kv.key, v.stringValue);
    else if (v.intValue !== undefined) map.set(kv.key, readInt(v.intValue, `${where}.${kv.key}`));
    else if (typeof v.doubleValue === 'number' && Number.isFinite(v.doubleValue)) map.set(kv.key, v.doubleValue);
    else if (typeof v.boolValue === 'boolean') map.set(kv.key, v.boolValue);
    else fail(`${where}: attribute ${kv.key} has no supported value`);
  }
  return map;
}

/** An OTLP int64: a decimal string (or, leniently, a safe integer number). */
function readInt(value: unknown, where: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value)) return Number(value);
  return fail(`${where}: not an int64`);
}

function readNanos(value: unknown, where: string): number {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,22}$/.test(text)) fail(`${where}: not a unix nano time`);
  const nanos = BigInt(text);
  if (nanos % 1_000_000n !== 0n) fail(`${where}: finer than a millisecond`);
  const ms = nanos / 1_000_000n;
  if (ms > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${where}: out of range`);
  return Number(ms);
}

function need<T>(map: Map<string, AttrValue>, key: string, check: (v: AttrValue) => v is AttrValue & T, where: string): T {
  const value = map.get(key);
  if (value === undefined || !check(value)) fail(`${where}: ${key} missing or invalid`);
  return value as T;
}
const isString = (v: AttrValue): v is string => typeof v === 'string';
const isNumber = (v: AttrValue): v is number => typeof v === 'number' && Number.isFinite(v);

interface Point {
  attrs: Map<string, AttrValue>;
  value: number;
  isInt: boolean;
}

function decode(body: unknown): AggregateReport {
  if (!isRecord(body) || !Array.isArray(body.resourceMetrics) || body.resourceMetrics.length !== 1) fail('expected one resourceMetrics');
  const rm = body.resourceMetrics[0];
  if (!isRecord(rm) || !isRecord(rm.resource)) fail('resource missing');
  const resource = readAttributes(rm.resource.attributes, 'resource');
  if (resource.get(ATTR.serviceName) !== OTLP_SERVICE_NAME) fail('service.name is not insitu');
  if (resource.get(ATTR.schemaVersion) !== REPORT_SCHEMA_VERSION) fail('unsupported schema version');
  const reportId = need(resource, ATTR.reportId, isString, 'resource');
  if (!REPORT_ID_PATTERN.test(reportId)) fail('report id must be 32 hex digits');
  const group = need(resource, ATTR.group, isString, 'resource');
  if (!DEVICE_GROUPS.includes(group as DeviceGroup)) fail('unknown group');
  if (resource.size !== 4) fail('unexpected resource attributes');

  if (!Array.isArray(rm.scopeMetrics) || rm.scopeMetrics.length !== 1) fail('expected one scopeMetrics');
  const sm = rm.scopeMetrics[0];
  if (!isRecord(sm) || !isRecord(sm.scope) || sm.scope.name !== OTLP_SCOPE_NAME) fail('unknown scope');
  const scope = readAttributes(sm.scope.attributes, 'scope');
  const epsilon = need(scope, ATTR.epsilon, isNumber, 'scope');
  if (!(epsilon > 0 && epsilon <= MAX_REPORT_EPSILON)) fail('epsilon out of range');
  const split = {} as EpsilonSplit;
  for (const part of REPORT_PARTS) {
    const share = need(scope, ATTR.epsilonPart(part), isNumber, 'scope');
    if (share < 0) fail(`epsilon.${part} is negative`);
    split[part] = share;
  }
  const total = REPORT_PARTS.reduce((sum, part) => sum + split[part], 0);
  if (Math.abs(total - epsilon) > EPSILON_TOLERANCE * epsilon) fail('epsilon parts do not add up to epsilon');
  const bounds = {} as ContributionBounds;
  for (const name of BOUND_NAMES) {
    const bound = need(scope, ATTR.bound(name), isNumber, 'scope');
    if (!(bound > 0 && bound <= 1e6)) fail(`bound.${name} out of range`);
    bounds[name] = bound;
  }

  if (!Array.isArray(sm.metrics) || sm.metrics.length > 16) fail('metrics must be an array of at most 16');
  const metrics = new Map<string, { points: Point[]; start: number; end: number }>();
  for (const metric of sm.metrics) {
    if (!isRecord(metric) || typeof metric.name !== 'string') fail('metric without a name');
    if (metrics.has(metric.name)) fail(`duplicate metric ${metric.name}`);
    metrics.set(metric.name, readSum(metric));
  }
  const known = new Set<string>(Object.values(METRIC));
  for (const name of metrics.keys()) if (!known.has(name)) fail(`unknown metric ${name}`);

  let periodStart = -1;
  let periodEnd = -1;
  for (const { start, end } of metrics.values()) {
    if (periodStart < 0) [periodStart, periodEnd] = [start, end];
    else if (start !== periodStart || end !== periodEnd) fail('data points disagree on the period');
  }
  if (periodStart < 0 || periodEnd - periodStart < MIN_REPORT_PERIOD_MS) fail('period missing or shorter than the minimum');

  const report: AggregateReport = { schemaVersion: REPORT_SCHEMA_VERSION, reportId, periodStart, periodEnd, group: group as DeviceGroup, epsilon, split, bounds };
  const context: PartContext = { metrics, scope, split, epsilon };
  const engagement = readEngagement(context);
  if (engagement) report.engagement = engagement;
  const counts = readCounts(context, engagement?.states.map((s) => s.placement) ?? []);
  if (counts) report.counts = counts;
  const health = readHealth(context);
  if (health) report.health = health;
  for (const part of ['items', 'pairs'] as const) {
    const answer = readSketch(part, metrics.get(part === 'items' ? METRIC.items : METRIC.pairs), scope);
    if ((split[part] > 0) !== (answer !== undefined)) fail(`${part} share and data disagree`);
    if (answer) report[part] = answer;
  }
  return report;
}

interface PartContext {
  metrics: Map<string, { points: Point[] }>;
  scope: Map<string, AttrValue>;
  split: EpsilonSplit;
  epsilon: number;
}

/** A part is present exactly when its share of ε is positive; `names` are the metrics it owns. */
function partPresent(context: PartContext, part: keyof EpsilonSplit, names: string[], scopeKeys: string[]): boolean {
  const present = context.split[part] > 0;
  for (const name of names) if (context.metrics.has(name) !== present) fail(`${name} ${present ? 'missing' : 'present without its share of epsilon'}`);
  for (const key of scopeKeys) if (context.scope.has(key) !== present) fail(`${key} ${present ? 'missing' : 'present without its share of epsilon'}`);
  return present;
}

const matches = (a: number, b: number, epsilon: number): boolean => Math.abs(a - b) <= EPSILON_TOLERANCE * epsilon;

/** Engagement: one data point per declared placement. */
function readEngagement(context: PartContext): AggregateReport['engagement'] {
  if (!partPresent(context, 'engagement', [METRIC.engagement], [ATTR.engagementEach])) return undefined;
  const epsilonEach = need(context.scope, ATTR.engagementEach, isNumber, 'scope');
  const metric = context.metrics.get(METRIC.engagement)!;
  if (metric.points.length > MAX_REPORT_PLACEMENTS) fail('too many placements');
  const states: Array<{ placement: string; state: EngagementState }> = [];
  for (const point of metric.points) {
    const placement = need(point.attrs, ATTR.placement, isString, 'engagement');
    const state = need(point.attrs, ATTR.state, isString, 'engagement');
    if (!PLACEMENT_PATTERN.test(placement) || states.some((s) => s.placement === placement)) fail('placement invalid or repeated');
    if (!ENGAGEMENT_STATES.includes(state as EngagementState)) fail('unknown engagement state');
    if (!point.isInt || point.value !== 1 || point.attrs.size !== 2) fail('engagement data point must be 1');
    states.push({ placement, state: state as EngagementState });
  }
  if (!matches(epsilonEach * states.length, context.split.engagement, context.epsilon)) fail('engagement epsilon does not match its share');
  return { epsilonEach, states };
}

/** Counts: the full placement × arm grid for every family (when placements are reported), and the two health scalars. */
function readCounts(context: PartContext, placements: string[]): AggregateReport['counts'] {
  const cellMetrics = CELL_FAMILIES.map((family) => CELL_METRIC[family]);
  const scalars = [METRIC.decisions, METRIC.deadlineFallbacks];
  if (!partPresent(context, 'counts', scalars, [ATTR.countsEach])) {
    for (const name of cellMetrics) if (context.metrics.has(name)) fail(`${name} present without its share of epsilon`);
    return undefined;
  }
  const epsilonEach = need(context.scope, ATTR.countsEach, isNumber, 'scope');
  const cells: NoisedCell[] = [];
  for (const family of CELL_FAMILIES) {
    const metric = context.metrics.get(CELL_METRIC[family]);
    if (placements.length === 0) {
      if (metric) fail(`${family} without placements`);
      continue;
    }
    if (!metric || metric.points.length !== placements.length * ARMS.length) fail(`${family} must cover every placement and arm`);
    const seen = new Set<string>();
    for (const point of metric.points) {
      const placement = need(point.attrs, ATTR.placement, isString, family);
      const arm = need(point.attrs, ATTR.arm, isString, family);
      if (!placements.includes(placement) || !(ARMS as readonly string[]).includes(arm) || point.attrs.size !== 2) fail(`${family}: unknown cell`);
      const key = `${placement}\u0000${arm}`;
      if (seen.has(key)) fail(`${family}: repeated cell`);
      seen.add(key);
      if ((family === 'reward') === point.isInt) fail(`${family}: wrong value type`);
      cells.push({ family, placement, arm: arm as NoisedCell['arm'], value: point.value });
    }
  }
  const families = placements.length > 0 ? CELL_FAMILIES.length + 2 : 2;
  if (!matches(epsilonEach * families, context.split.counts, context.epsilon)) fail('counts epsilon does not match its share');
  const scalar = (name: string): number => {
    const metric = context.metrics.get(name)!;
    const point = metric.points[0];
    if (metric.points.length !== 1 || !point || point.attrs.size !== 0 || !point.isInt) fail(`${name} must be one integer`);
    return point.value;
  };
  return { epsilonEach, cells, decisions: scalar(METRIC.decisions), deadlineFallbacks: scalar(METRIC.deadlineFallbacks) };
}

function readHealth(context: PartContext): AggregateReport['health'] {
  if (!partPresent(context, 'health', [METRIC.storageMode], [])) return undefined;
  const storage = context.metrics.get(METRIC.storageMode)!;
  const point = storage.points[0];
  if (storage.points.length !== 1 || !point || !point.isInt || point.value !== 1 || point.attrs.size !== 1) fail('storage mode must be one data point');
  const storageMode = need(point.attrs, ATTR.storageMode, isString, 'storage mode');
  if (!REPORTED_STORAGE_MODES.includes(storageMode as ReportedStorageMode)) fail('unknown storage mode');
  return { storageMode: storageMode as ReportedStorageMode };
}

function readSum(metric: Record<string, unknown>): { points: Point[]; start: number; end: number } {
  const sum = metric.sum;
  if (!isRecord(sum) || sum.aggregationTemporality !== 1 || !Array.isArray(sum.dataPoints)) fail(`${String(metric.name)}: expected a delta sum`);
  if (sum.dataPoints.length === 0 || sum.dataPoints.length > MAX_REPORT_PLACEMENTS * ARMS.length) fail(`${String(metric.name)}: data point count`);
  let start = -1;
  let end = -1;
  const points = sum.dataPoints.map((dp: unknown): Point => {
    if (!isRecord(dp)) fail('data point must be an object');
    const s = readNanos(dp.startTimeUnixNano, 'startTimeUnixNano');
    const e = readNanos(dp.timeUnixNano, 'timeUnixNano');
    if (start < 0) [start, end] = [s, e];
    else if (s !== start || e !== end) fail('data points disagree on the period');
    const attrs = readAttributes(dp.attributes, String(metric.name));
    if (dp.asInt !== undefined && dp.asDouble === undefined) {
      const value = readInt(dp.asInt, 'asInt');
      if (Math.abs(value) > MAX_NOISED_VALUE) fail('value out of range');
      return { attrs, value, isInt: true };
    }
    if (dp.asDouble !== undefined && dp.asInt === undefined && typeof dp.asDouble === 'number' && Number.isFinite(dp.asDouble)) {
      if (Math.abs(dp.asDouble) > MAX_NOISED_VALUE) fail('value out of range');
      return { attrs, value: dp.asDouble, isInt: false };
    }
    return fail('data point needs exactly one of asInt, asDouble');
  });
  return { points, start, end };
}

function readSketch(part: 'items' | 'pairs', metric: { points: Point[] } | undefined, scope: Map<string, AttrValue>): SketchAnswer | undefined {
  if (!metric) {
    if (scope.has(ATTR.sketchRows(part))) fail(`${part}: parameters without data`);
    return undefined;
  }
  const isInt = (v: AttrValue): v is number => typeof v === 'number' && Number.isInteger(v);
  const rows = need(scope, ATTR.sketchRows(part), isInt, 'scope');
  const width = need(scope, ATTR.sketchWidth(part), isInt, 'scope');
  const padding = need(scope, ATTR.sketchPadding(part), isInt, 'scope');
  if (rows < 1 || rows > MAX_SKETCH_ROWS || width < 2 || width > SKETCH_MAX_WIDTH || padding < 1 || padding > MAX_SKETCH_PADDING) fail(`${part}: parameters out of range`);
  const point = metric.points[0];
  if (metric.points.length !== 1 || !point || !point.isInt || point.value !== 1 || point.attrs.size !== 2) fail(`${part}: one answer expected`);
  const row = need(point.attrs, ATTR.row, isInt, part);
  const bucket = need(point.attrs, ATTR.bucket, isInt, part);
  if (row < 0 || row >= rows || bucket < 0 || bucket >= width) fail(`${part}: answer out of range`);
  return { rows, width, padding, row, bucket };
}
