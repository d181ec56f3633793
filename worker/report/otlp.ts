/**
 * Encodes an AggregateReport as an OTLP/HTTP JSON metrics export (ExportMetricsServiceRequest),
 * so reports can go to any OpenTelemetry Collector. Per the OTLP JSON encoding: lowerCamelCase
 * keys, 64-bit integers (`asInt`, `intValue`, `*TimeUnixNano`) as decimal strings, enums
 * (`aggregationTemporality`) as integers.
 *
 * What it carries, and only that: the resource names the service, schema, report id and holdout
 * group; the scope states the mechanism, ε (total and per part) and the clip bounds; each data
 * point is a noised count whose start/end are the report period's bounds. No device or user id,
 * no event, no timestamp inside the period, no free text: placements are the site's declared
 * names and items travel only as a hashed, randomized (row, bucket) pair.
 */
import {
  REPORT_PARTS,
  type AggregateReport,
  type CellFamily,
  type ContributionBounds,
  type SketchAnswer,
} from './report-types.js';
import { MECHANISM_DESCRIPTION } from './privatize.js';

export const OTLP_SCOPE_NAME = 'insitu.report';
export const OTLP_SERVICE_NAME = 'insitu';
/** OTLP's AGGREGATION_TEMPORALITY_DELTA: each report counts one period, not a running total. */
export const AGGREGATION_TEMPORALITY_DELTA = 1;

export type OtlpAnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}
export interface OtlpNumberDataPoint {
  attributes: OtlpKeyValue[];
  startTimeUnixNano: string;
  timeUnixNano: string;
  asInt?: string;
  asDouble?: number;
}
export interface OtlpMetric {
  name: string;
  unit: string;
  description: string;
  sum: { aggregationTemporality: number; isMonotonic: boolean; dataPoints: OtlpNumberDataPoint[] };
}
export interface OtlpMetricsRequest {
  resourceMetrics: Array<{
    resource: { attributes: OtlpKeyValue[] };
    scopeMetrics: Array<{ scope: { name: string; version: string; attributes: OtlpKeyValue[] }; metrics: OtlpMetric[] }>;
  }>;
}

/** Metric names, one per report field. */
export const METRIC = Object.freeze({
  engagement: 'insitu.engagement',
  impressions: 'insitu.impressions',
  clicks: 'insitu.clicks',
  conversions: 'insitu.conversions',
  reward: 'insitu.reward',
  decisions: 'insitu.decisions',
  deadlineFallbacks: 'insitu.deadline_fallbacks',
  storageMode: 'insitu.storage_mode',
  items: 'insitu.items.sketch',
  pairs: 'insitu.pairs.sketch',
});

export const CELL_METRIC: Record<CellFamily, string> = {
  impressions: METRIC.impressions,
  clicks: METRIC.clicks,
  conversions: METRIC.conversions,
  reward: METRIC.reward,
};

/** Attribute keys. */
export const ATTR = Object.freeze({
  serviceName: 'service.name',
  schemaVersion: 'insitu.schema_version',
  reportId: 'insitu.report.id',
  group: 'insitu.group',
  mechanism: 'insitu.mechanism',
  epsilon: 'insitu.epsilon',
  epsilonPart: (part: string) => `insitu.epsilon.${part}`,
  engagementEach: 'insitu.engagement.epsilon_each',
  countsEach: 'insitu.counts.epsilon_each',
  bound: (name: string) => `insitu.bound.${name}`,
  sketchRows: (part: string) => `insitu.${part}.rows`,
  sketchWidth: (part: string) => `insitu.${part}.width`,
  sketchPadding: (part: string) => `insitu.${part}.padding`,
  placement: 'insitu.placement',
  arm: 'insitu.arm',
  state: 'insitu.state',
  storageMode: 'insitu.storage_mode',
  row: 'insitu.sketch.row',
  bucket: 'insitu.sketch.bucket',
});

export const BOUND_NAMES: ReadonlyArray<keyof ContributionBounds> = [
  'impressions',
  'clicks',
  'conversions',
  'reward',
  'decisions',
  'deadlineFallbacks',
  'items',
  'pairs',
];

const str = (key: string, value: string): OtlpKeyValue => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): OtlpKeyValue => ({ key, value: { intValue: String(Math.trunc(value)) } });
const dbl = (key: string, value: number): OtlpKeyValue => ({ key, value: { doubleValue: value } });

/** Milliseconds since the epoch as an OTLP nanosecond string (exact: BigInt, no float rounding). */
export function unixNano(ms: number): string {
  return (BigInt(Math.trunc(ms)) * 1_000_000n).toString();
}

export function encodeReport(report: AggregateReport): OtlpMetricsRequest {
  const start = unixNano(report.periodStart);
  const end = unixNano(report.periodEnd);
  const point = (attributes: OtlpKeyValue[], value: { asInt: number } | { asDouble: number }): OtlpNumberDataPoint =>
    'asInt' in value
      ? { attributes, startTimeUnixNano: start, timeUnixNano: end, asInt: String(Math.trunc(value.asInt)) }
      : { attributes, startTimeUnixNano: start, timeUnixNano: end, asDouble: value.asDouble };
  const sum = (name: string, description: string, dataPoints: OtlpNumberDataPoint[]): OtlpMetric => ({
    name,
    unit: '1',
    description,
    // Noised values can be negative, so no sum here is monotonic.
    sum: { aggregationTemporality: AGGREGATION_TEMPORALITY_DELTA, isMonotonic: false, dataPoints },
  });

  const metrics: OtlpMetric[] = [];
  const { engagement, counts, health } = report;
  if (engagement) {
    metrics.push(
      sum(
        METRIC.engagement,
        'Devices by deepest engagement with the placement this period (k-ary randomized response).',
        engagement.states.map(({ placement, state }) => point([str(ATTR.placement, placement), str(ATTR.state, state)], { asInt: 1 })),
      ),
    );
  }
  if (counts) {
    for (const family of ['impressions', 'clicks', 'conversions', 'reward'] as const) {
      const cells = counts.cells.filter((c) => c.family === family);
      if (cells.length === 0) continue;
      metrics.push(
        sum(
          CELL_METRIC[family],
          family === 'reward' ? 'Clipped reward sum, Laplace noise.' : `Clipped ${family}, two-sided geometric noise.`,
          cells.map((c) =>
            point([str(ATTR.placement, c.placement), str(ATTR.arm, c.arm)], family === 'reward' ? { asDouble: c.value } : { asInt: c.value }),
          ),
        ),
      );
    }
    metrics.push(sum(METRIC.decisions, 'Decisions made (health), two-sided geometric noise.', [point([], { asInt: counts.decisions })]));
    metrics.push(
      sum(METRIC.deadlineFallbacks, 'Decisions served by the page fallback (health), two-sided geometric noise.', [
        point([], { asInt: counts.deadlineFallbacks }),
      ]),
    );
  }
  if (health) {
    metrics.push(
      sum(METRIC.storageMode, 'Devices by storage mode (k-ary randomized response).', [point([str(ATTR.storageMode, health.storageMode)], { asInt: 1 })]),
    );
  }
  if (report.items) metrics.push(sketchMetric(METRIC.items, 'Catalog items engaged with', report.items, point, sum));
  if (report.pairs) metrics.push(sketchMetric(METRIC.pairs, 'Catalog item pairs engaged with together', report.pairs, point, sum));

  const scopeAttributes: OtlpKeyValue[] = [
    str(ATTR.mechanism, MECHANISM_DESCRIPTION),
    dbl(ATTR.epsilon, report.epsilon),
    ...REPORT_PARTS.map((part) => dbl(ATTR.epsilonPart(part), report.split[part])),
    ...(engagement ? [dbl(ATTR.engagementEach, engagement.epsilonEach)] : []),
    ...(counts ? [dbl(ATTR.countsEach, counts.epsilonEach)] : []),
    ...BOUND_NAMES.map((name) => (name === 'reward' ? dbl(ATTR.bound(name), report.bounds[name]) : int(ATTR.bound(name), report.bounds[name]))),
  ];
  for (const part of ['items', 'pairs'] as const) {
    const answer = report[part];
    if (!answer) continue;
    scopeAttributes.push(int(ATTR.sketchRows(part), answer.rows), int(ATTR.sketchWidth(part), answer.width), int(ATTR.sketchPadding(part), answer.padding));
  }

  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            str(ATTR.serviceName, OTLP_SERVICE_NAME),
            int(ATTR.schemaVersion, report.schemaVersion),
            str(ATTR.reportId, report.reportId),
            str(ATTR.group, report.group),
          ],
        },
        scopeMetrics: [{ scope: { name: OTLP_SCOPE_NAME, version: String(report.schemaVersion), attributes: scopeAttributes }, metrics }],
      },
    ],
  };
}

function sketchMetric(
  name: string,
  what: string,
  answer: SketchAnswer,
  point: (attributes: OtlpKeyValue[], value: { asInt: number }) => OtlpNumberDataPoint,
  sum: (name: string, description: string, dataPoints: OtlpNumberDataPoint[]) => OtlpMetric,
): OtlpMetric {
  return sum(name, `${what}: one hashed, randomized (row, bucket) answer (local hashing frequency oracle).`, [
    point([int(ATTR.row, answer.row), int(ATTR.bucket, answer.bucket)], { asInt: 1 }),
  ]);
}
