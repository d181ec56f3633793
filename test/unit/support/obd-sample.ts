/**
 * Reads the Open Bandit Dataset sample (shared/data/obd-sample, never copied into the project)
 * and rebuilds the Bernoulli-TS action distribution from its production priors, as the dataset's
 * README and the Open Bandit Pipeline do: sample θ ~ Beta(α, β) per item, rank, count positions.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RandomSource } from '../../../worker/types.js';

export const OBD_DIR = resolve(import.meta.dirname, '../../../../shared/data/obd-sample');
export const OBD_CAMPAIGNS = ['men', 'women'] as const;
export type Campaign = (typeof OBD_CAMPAIGNS)[number];
export type BehaviorPolicy = 'random' | 'bts';
/** The recommendation widget shows three items: left, center, right. */
export const OBD_POSITIONS = 3;

export interface ObdRow {
  itemId: number;
  /** 0-based: 0 left, 1 center, 2 right (the CSV's 1..3 minus one). */
  position: number;
  click: number;
  /** The logging policy's probability of this item at this position. */
  pscore: number;
}

export function obdAvailable(): boolean {
  return OBD_CAMPAIGNS.every((c) =>
    (['random', 'bts'] as const).every((p) => existsSync(resolve(OBD_DIR, p, c, `${c}.csv`))),
  ) && existsSync(resolve(OBD_DIR, 'prior_bts.yaml'));
}

export function readObdLog(policy: BehaviorPolicy, campaign: Campaign): ObdRow[] {
  const lines = readFileSync(resolve(OBD_DIR, policy, campaign, `${campaign}.csv`), 'utf8').trim().split('\n');
  const header = (lines[0] as string).split(',');
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`obd-sample ${policy}/${campaign}: no column ${name}`);
    return index;
  };
  const item = column('item_id');
  const position = column('position');
  const click = column('click');
  const pscore = column('propensity_score');
  return lines.slice(1).map((line) => {
    const cells = line.split(',');
    return {
      itemId: Number(cells[item]),
      position: Number(cells[position]) - 1,
      click: Number(cells[click]),
      pscore: Number(cells[pscore]),
    };
  });
}

/** The `alpha` and `beta` lists of one campaign in prior_bts.yaml (a fixed, simple layout). */
export function readBtsPriors(campaign: Campaign): { alpha: number[]; beta: number[] } {
  const out: Record<string, Record<string, number[]>> = {};
  let section = '';
  let key = '';
  for (const line of readFileSync(resolve(OBD_DIR, 'prior_bts.yaml'), 'utf8').split('\n')) {
    const top = /^(\w+):\s*$/.exec(line);
    const sub = /^\s+(\w+):\s*$/.exec(line);
    const value = /^\s+-\s*([-+\d.eE]+)\s*$/.exec(line);
    if (top) out[(section = top[1] as string)] = {};
    else if (sub) (out[section] as Record<string, number[]>)[(key = sub[1] as string)] = [];
    else if (value) out[section]?.[key]?.push(Number(value[1]));
  }
  const priors = out[campaign];
  if (!priors?.alpha || !priors.beta || priors.alpha.length !== priors.beta.length) {
    throw new Error(`prior_bts.yaml: no alpha/beta for ${campaign}`);
  }
  return { alpha: priors.alpha, beta: priors.beta };
}

/**
 * P(item i is shown at position p) under Bernoulli-TS with these priors, by Monte Carlo:
 * `result[p][i]`. Each row sums to 1.
 */
export function btsActionDistribution(alpha: number[], beta: number[], simulations: number, random: RandomSource): Float64Array[] {
  const items = alpha.length;
  const counts = Array.from({ length: OBD_POSITIONS }, () => new Float64Array(items));
  const theta = new Float64Array(items);
  const top = new Int32Array(OBD_POSITIONS);
  for (let s = 0; s < simulations; s++) {
    for (let i = 0; i < items; i++) theta[i] = sampleBeta(alpha[i] as number, beta[i] as number, random);
    top.fill(-1);
    for (let p = 0; p < OBD_POSITIONS; p++) {
      let best = -1;
      for (let i = 0; i < items; i++) {
        if (top.includes(i)) continue;
        if (best < 0 || (theta[i] as number) > (theta[best] as number)) best = i;
      }
      top[p] = best;
      (counts[p] as Float64Array)[best]! += 1;
    }
  }
  for (const row of counts) for (let i = 0; i < items; i++) row[i]! /= simulations;
  return counts;
}

function sampleBeta(a: number, b: number, random: RandomSource): number {
  const x = sampleGamma(a, random);
  return x / (x + sampleGamma(b, random));
}

/** Marsaglia & Tsang (2000); every shape in prior_bts.yaml is at least 1. */
function sampleGamma(shape: number, random: RandomSource): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(1 - random.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function standardNormal(random: RandomSource): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
