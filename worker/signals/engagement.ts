/**
 * Engagement intensity, 0..1: how much attention this person gives the site now.
 *
 *   engagement = recency × (W_FREQUENCY·frequency + W_DWELL·dwell + W_SCROLL·scroll) / (sum of the weights used)
 *
 *   recency   = 0.5 ^ (days since the last event / RECENCY_HALF_LIFE_DAYS)
 *   frequency = min(1, ln(1 + sessions in 30 days) / ln(1 + FREQUENCY_SATURATION_SESSIONS))
 *   dwell     = mean over the window's sessions that measured dwell of min(1, dwell / DWELL_SATURATION_MS)
 *   scroll    = mean over the window's sessions that measured scroll of the deepest scroll (0..1)
 *
 * Recency multiplies rather than adds: attention long past is not attention now, so a person who
 * was intense two months ago scores low until they come back. Dwell and scroll are dropped from
 * the mix (and the weights renormalised) when the site never measures them, so a site without
 * dwell capture does not cap everyone's score at 0.7.
 */
import { DAY_MS, sessionsInWindow, SIGNAL_WINDOW_DAYS, type SignalState } from './signal-state.js';

/** Attention halves every week away: a visit last week counts half as much as one today. */
export const RECENCY_HALF_LIFE_DAYS = 7;
/** Twelve visits a month (about three a week) is as frequent as the score distinguishes. */
export const FREQUENCY_SATURATION_SESSIONS = 12;
/** Three minutes of reading per visit is full marks for dwell (a long article or a careful browse). */
export const DWELL_SATURATION_MS = 3 * 60_000;
/** Frequency weighs most: coming back is the strongest sign of engagement. */
export const W_FREQUENCY = 0.5;
export const W_DWELL = 0.3;
export const W_SCROLL = 0.2;

export interface EngagementBreakdown {
  score: number;
  recency: number;
  frequency: number;
  /** Undefined when no session in the window measured it. */
  dwell?: number;
  scroll?: number;
  sessionsInWindow: number;
  /** Mean dwell per measured session, for the explanation. */
  meanDwellMs?: number;
  daysSinceLastEvent?: number;
}

export function computeEngagement(state: SignalState, now: number): EngagementBreakdown {
  if (state.lastSeenTs === null) return { score: 0, recency: 0, frequency: 0, sessionsInWindow: 0 };
  const daysSinceLastEvent = Math.max(0, now - state.lastSeenTs) / DAY_MS;
  const recency = 0.5 ** (daysSinceLastEvent / RECENCY_HALF_LIFE_DAYS);
  const recent = sessionsInWindow(state, now);
  const frequency = Math.min(1, Math.log1p(recent.length) / Math.log1p(FREQUENCY_SATURATION_SESSIONS));

  const dwells = recent.map((s) => s.dwellMs).filter((d): d is number => d !== null);
  const scrolls = recent.map((s) => s.maxScroll).filter((d): d is number => d !== null);
  const dwell = dwells.length ? mean(dwells.map((d) => Math.min(1, d / DWELL_SATURATION_MS))) : undefined;
  const scroll = scrolls.length ? mean(scrolls) : undefined;

  let weighted = W_FREQUENCY * frequency;
  let weights = W_FREQUENCY;
  if (dwell !== undefined) {
    weighted += W_DWELL * dwell;
    weights += W_DWELL;
  }
  if (scroll !== undefined) {
    weighted += W_SCROLL * scroll;
    weights += W_SCROLL;
  }
  return {
    score: recency * (weighted / weights),
    recency,
    frequency,
    ...(dwell !== undefined ? { dwell, meanDwellMs: mean(dwells) } : {}),
    ...(scroll !== undefined ? { scroll } : {}),
    sessionsInWindow: recent.length,
    daysSinceLastEvent,
  };
}

/** One line a person can read: the score and what made it. */
export function describeEngagement(e: EngagementBreakdown): string {
  if (e.daysSinceLastEvent === undefined) return 'Engagement 0.00: no activity seen on this device yet.';
  const parts = [`frequency ${fmt(e.frequency)} from ${plural(e.sessionsInWindow, 'visit')} in ${SIGNAL_WINDOW_DAYS} days`];
  if (e.dwell !== undefined) parts.push(`dwell ${fmt(e.dwell)} from ${Math.round((e.meanDwellMs ?? 0) / 1000)} s a visit`);
  if (e.scroll !== undefined) parts.push(`scroll ${fmt(e.scroll)} average deepest scroll`);
  const ago = e.daysSinceLastEvent < 1 ? 'active today' : `last active ${Math.floor(e.daysSinceLastEvent)} days ago`;
  return `Engagement ${fmt(e.score)}: recency ${fmt(e.recency)} (${ago}) × the weighted mix of ${parts.join(', ')}.`;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
export const fmt = (x: number): string => x.toFixed(2);
export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
