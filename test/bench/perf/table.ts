/** The bench's figures as a table beside their floors and targets: plain text for the terminal, Markdown for the docs. */
import type { Figures } from './measure.js';
import { ROWS, THROTTLED_SUFFIX, verdict, type Target } from './targets.js';

function format(value: number | string | undefined, unit: Target['unit']): string {
  if (value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return 'n/a';
  switch (unit) {
    case 'B':
      return value >= 1024 ? `${(value / 1024).toFixed(1)} KB` : `${value} B`;
    case 'µs':
      return `${value.toFixed(3)} µs`;
    case 'ms':
      return `${value.toFixed(value < 10 ? 3 : 1)} ms`;
    case 'events/s':
      return `${Math.round(value).toLocaleString('en-US')}/s`;
    default:
      return String(value);
  }
}

function formatTarget(target: Target): string {
  return target.max === undefined ? '' : `≤ ${format(target.max, target.unit)}`;
}

/** How far past its target a figure is, for the closing notes. */
export function misses(figures: Figures, suffix = ''): string[] {
  return ROWS.flatMap((target) => {
    const value = figures[target.key + suffix];
    if (verdict(target, value) !== 'miss' || typeof value !== 'number' || target.max === undefined) return [];
    const over = value - target.max;
    const times = target.max > 0 ? ` (${(value / target.max).toFixed(1)}× the target)` : '';
    return [`${target.key + suffix}: ${format(value, target.unit)} against ${formatTarget(target)}, over by ${format(over, target.unit)}${times}`];
  });
}

type Cells = [figure: string, value: string, floor: string, ratio: string, target: string, verdict: string];

function rows(figures: Figures, suffix: string): Cells[] {
  return ROWS.filter((target) => figures[target.key + suffix] !== undefined).map((target) => {
    const key = target.key + suffix;
    const floor = figures[`${target.key}Floor${suffix}`];
    const ratio = figures[`${target.key}Ratio${suffix}`];
    const status = verdict(target, figures[key]);
    return [
      target.label,
      format(figures[key], target.unit),
      floor === undefined ? '' : format(floor, target.unit),
      typeof ratio === 'number' && Number.isFinite(ratio) ? `${ratio}×` : '',
      formatTarget(target),
      suffix && status ? `(${status})` : status,
    ];
  });
}

const HEADER: Cells = ['figure', 'value', 'floor', 'ratio', 'target', ''];

export function textTable(figures: Figures): string {
  const sections: Array<[string, Cells[]]> = [
    ['Chromium, build machine', rows(figures, '')],
    [`CPU throttled 4× (main thread only; Chromium cannot throttle workers)`, rows(figures, THROTTLED_SUFFIX)],
  ];
  const all = [HEADER, ...sections.flatMap(([, r]) => r)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const line = (cells: Cells) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return sections
    .filter(([, r]) => r.length > 0)
    .map(([title, r]) => [title, line(HEADER), ...r.map(line)].join('\n'))
    .join('\n\n');
}

export function markdownTable(figures: Figures): string {
  const table = (cells: Cells[]) =>
    ['| figure | value | floor | ratio | target | |', '| --- | ---: | ---: | ---: | ---: | --- |', ...cells.map((c) => `| ${c.join(' | ')} |`)].join('\n');
  const machine = `Chromium ${figures.chromiumVersion}, ${figures.cpuCores} cores, load average ${figures.loadAverage1mAtStart} at the start, ${String(figures.measuredAt).slice(0, 10)}`;
  return [
    `Measured with \`npm run bench\` (${machine}).`,
    '',
    table(rows(figures, '')),
    '',
    'The timing figures again with the main thread throttled 4× through CDP (Chromium cannot throttle workers, so the worker runs at full speed):',
    '',
    table(rows(figures, THROTTLED_SUFFIX)),
  ].join('\n');
}
