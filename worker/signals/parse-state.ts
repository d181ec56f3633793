/**
 * Reads signal state back from storage. Stored state is untrusted (an old version, a bug, a person
 * editing IndexedDB), so every field is checked and copied; anything off is rejected whole.
 */
import { InsituError } from '../errors.js';
import {
  isFiniteNumber,
  MAX_DAY_BUCKETS,
  MAX_SESSIONS_KEPT,
  SIGNAL_STATE_VERSION,
  type SessionSummary,
  type SignalState,
} from './signal-state.js';

export function parseSignalState(value: unknown): SignalState {
  if (!isRecord(value)) reject('not an object');
  if (value.version !== SIGNAL_STATE_VERSION) reject(`version ${String(value.version)} is not ${SIGNAL_STATE_VERSION}`);
  const totals = value.totals;
  if (!isRecord(totals)) reject('totals missing');
  const count = (v: unknown, name: string): number => (isCount(v) ? v : reject(`${name} is not a count`));
  const sessions = value.sessions;
  const days = value.days;
  if (!Array.isArray(sessions) || sessions.length > MAX_SESSIONS_KEPT) reject('sessions is not a bounded list');
  if (!Array.isArray(days) || days.length > MAX_DAY_BUCKETS) reject('days is not a bounded list');
  const state: SignalState = {
    version: SIGNAL_STATE_VERSION,
    totals: {
      events: count(totals.events, 'totals.events'),
      sessions: count(totals.sessions, 'totals.sessions'),
      views: count(totals.views, 'totals.views'),
      conversions: count(totals.conversions, 'totals.conversions'),
    },
    firstSeenTs: timeOrNull(value.firstSeenTs, 'firstSeenTs'),
    lastSeenTs: timeOrNull(value.lastSeenTs, 'lastSeenTs'),
    lastConversionTs: timeOrNull(value.lastConversionTs, 'lastConversionTs'),
    sessions: sessions.map((s, i) => parseSession(s, `sessions[${i}]`)),
    days: days.map((d, i) => parseDay(d, `days[${i}]`)),
  };
  if (state.sessions.length > state.totals.sessions) reject('more sessions kept than counted');
  if ((state.lastSeenTs === null) !== (state.sessions.length === 0)) reject('lastSeenTs and sessions disagree');
  for (let i = 1; i < state.sessions.length; i++) {
    if (state.sessions[i]!.start < state.sessions[i - 1]!.start) reject('sessions out of order');
  }
  for (let i = 1; i < state.days.length; i++) {
    if (state.days[i]![0] <= state.days[i - 1]![0]) reject('days out of order');
  }
  return state;
}

function parseSession(value: unknown, path: string): SessionSummary {
  if (!isRecord(value)) reject(`${path} is not an object`);
  const start = timeOrNull(value.start, `${path}.start`);
  const end = timeOrNull(value.end, `${path}.end`);
  if (start === null || end === null || end < start) reject(`${path} has no valid start and end`);
  const { events, views, dwellMs, maxScroll, converted, gapBeforeMs } = value;
  if (!isCount(events) || !isCount(views) || views > events) reject(`${path} counts are invalid`);
  if (dwellMs !== null && !(isFiniteNumber(dwellMs) && dwellMs >= 0)) reject(`${path}.dwellMs is invalid`);
  if (maxScroll !== null && !(isFiniteNumber(maxScroll) && maxScroll >= 0 && maxScroll <= 1)) reject(`${path}.maxScroll is invalid`);
  if (typeof converted !== 'boolean') reject(`${path}.converted is not a boolean`);
  if (gapBeforeMs !== null && !(isFiniteNumber(gapBeforeMs) && gapBeforeMs >= 0)) reject(`${path}.gapBeforeMs is invalid`);
  return { start, end, events, views, dwellMs, maxScroll, converted, gapBeforeMs };
}

function parseDay(value: unknown, path: string): [number, number] {
  if (!Array.isArray(value) || value.length !== 2) reject(`${path} is not a [day, count] pair`);
  const [day, n] = value as unknown[];
  if (!Number.isSafeInteger(day) || !isCount(n)) reject(`${path} is not a [day, count] pair`);
  return [day as number, n];
}

function timeOrNull(v: unknown, name: string): number | null {
  if (v === null) return null;
  if (isFiniteNumber(v) && v >= 0) return v;
  return reject(`${name} is not a timestamp`);
}

function reject(why: string): never {
  throw new InsituError('invalid_argument', `signal state rejected: ${why}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
