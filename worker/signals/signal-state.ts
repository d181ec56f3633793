/**
 * The bounded state behind the signals: running totals, a short list of session summaries and
 * per-day event counts. Raw events are never kept here, so the state stays a few kilobytes
 * however long the device is used.
 */
import type { InsituEvent } from '../types.js';

export const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

/** A pause this long ends a visit: the convention of web analytics (GA, Matomo), so numbers compare. */
export const SESSION_GAP_MS = 30 * MINUTE_MS;
/** The rolling window for frequency, dwell, scroll and `eventsLast30d`. */
export const SIGNAL_WINDOW_DAYS = 30;
/**
 * Session summaries kept, newest last. Frequency saturates at 12 sessions in the window, so 60
 * (two a day for a month) loses nothing the score can see.
 */
export const MAX_SESSIONS_KEPT = 60;
/** Day buckets kept: the window plus today, which is only partly inside it. */
export const MAX_DAY_BUCKETS = SIGNAL_WINDOW_DAYS + 1;
/**
 * One dwell event counts at most this much: a tab left open over lunch is not attention, and a
 * tampered value cannot push the score past what a real long read gives.
 */
export const MAX_DWELL_PER_EVENT_MS = 30 * MINUTE_MS;
/**
 * Custom event types that show intent to convert (a click towards checkout) and count like a
 * `convert` for the journey stage; a site can pass its own list to createSignalTracker().
 */
export const DEFAULT_INTENT_EVENT_TYPES: readonly string[] = ['add_to_cart', 'begin_checkout', 'checkout'];

export const SIGNAL_STATE_VERSION = 1;

export interface SessionSummary {
  start: number;
  end: number;
  events: number;
  views: number;
  /** Total dwell in the session; null when no dwell event came (the site may not measure it). */
  dwellMs: number | null;
  /** Deepest scroll in the session, 0..1; null when no scroll event came. */
  maxScroll: number | null;
  /** A `convert` or intent event happened in the session. */
  converted: boolean;
  /** Time since the previous session ended; null for the first session this device saw. */
  gapBeforeMs: number | null;
}

export interface SignalState {
  version: typeof SIGNAL_STATE_VERSION;
  totals: { events: number; sessions: number; views: number; conversions: number };
  firstSeenTs: number | null;
  lastSeenTs: number | null;
  /** Latest `convert` or intent event. */
  lastConversionTs: number | null;
  /** Newest last, at most MAX_SESSIONS_KEPT; the last one is the current or latest visit. */
  sessions: SessionSummary[];
  /** `[day index since the epoch (UTC), events that day]`, oldest first, at most MAX_DAY_BUCKETS. */
  days: Array<[number, number]>;
}

export function emptySignalState(): SignalState {
  return {
    version: SIGNAL_STATE_VERSION,
    totals: { events: 0, sessions: 0, views: 0, conversions: 0 },
    firstSeenTs: null,
    lastSeenTs: null,
    lastConversionTs: null,
    sessions: [],
    days: [],
  };
}

/**
 * Fold events into the state (mutates it). Events are taken in timestamp order. An event that
 * arrives late but falls within a kept session joins that session; one older than every kept
 * session still counts in the totals and day buckets, but cannot reopen a visit long closed.
 */
export function foldEvents(state: SignalState, events: readonly InsituEvent[], intentTypes: ReadonlySet<string>): void {
  const ordered = events.filter((e) => Number.isFinite(e.ts)).sort((a, b) => a.ts - b.ts);
  for (const event of ordered) foldEvent(state, event, intentTypes);
}

function foldEvent(state: SignalState, event: InsituEvent, intentTypes: ReadonlySet<string>): void {
  const ts = event.ts;
  const converts = event.type === 'convert' || intentTypes.has(event.type);
  state.totals.events += 1;
  if (event.type === 'view') state.totals.views += 1;
  if (event.type === 'convert') state.totals.conversions += 1;
  if (converts) state.lastConversionTs = Math.max(state.lastConversionTs ?? ts, ts);
  state.firstSeenTs = Math.min(state.firstSeenTs ?? ts, ts);
  state.lastSeenTs = Math.max(state.lastSeenTs ?? ts, ts);
  countDay(state, ts);

  const session = sessionFor(state, ts);
  if (!session) return;
  session.start = Math.min(session.start, ts);
  session.end = Math.max(session.end, ts);
  session.events += 1;
  if (event.type === 'view') session.views += 1;
  if (converts) session.converted = true;
  if (event.type === 'dwell' && isFiniteNumber(event.value)) {
    session.dwellMs = (session.dwellMs ?? 0) + clamp(event.value, 0, MAX_DWELL_PER_EVENT_MS);
  }
  if (event.type === 'scroll' && isFiniteNumber(event.value)) {
    session.maxScroll = Math.max(session.maxScroll ?? 0, clamp(event.value, 0, 1));
  }
}

/** The session this event belongs to, a new one when it starts a visit, or none for a stale event. */
function sessionFor(state: SignalState, ts: number): SessionSummary | undefined {
  const latest = state.sessions[state.sessions.length - 1];
  if (!latest || ts - latest.end >= SESSION_GAP_MS) {
    const session: SessionSummary = {
      start: ts,
      end: ts,
      events: 0,
      views: 0,
      dwellMs: null,
      maxScroll: null,
      converted: false,
      gapBeforeMs: latest ? ts - latest.end : null,
    };
    state.sessions.push(session);
    state.totals.sessions += 1;
    if (state.sessions.length > MAX_SESSIONS_KEPT) state.sessions.shift();
    return session;
  }
  for (let i = state.sessions.length - 1; i >= 0; i--) {
    const session = state.sessions[i]!;
    if (ts > session.start - SESSION_GAP_MS && ts < session.end + SESSION_GAP_MS) return session;
  }
  return undefined;
}

function countDay(state: SignalState, ts: number): void {
  const day = Math.floor(ts / DAY_MS);
  const bucket = state.days.find(([d]) => d === day);
  if (bucket) bucket[1] += 1;
  else {
    state.days.push([day, 1]);
    state.days.sort((a, b) => a[0] - b[0]);
  }
  const newest = state.days[state.days.length - 1]![0];
  state.days = state.days.filter(([d]) => d > newest - MAX_DAY_BUCKETS);
}

/** Events of any type within the last `SIGNAL_WINDOW_DAYS` days of `now`, counted by whole UTC day. */
export function eventsInWindow(state: SignalState, now: number): number {
  const today = Math.floor(now / DAY_MS);
  return state.days.filter(([d]) => d > today - SIGNAL_WINDOW_DAYS && d <= today).reduce((sum, [, n]) => sum + n, 0);
}

/** Sessions that had activity within the window ending at `now`. */
export function sessionsInWindow(state: SignalState, now: number): SessionSummary[] {
  const since = now - SIGNAL_WINDOW_DAYS * DAY_MS;
  return state.sessions.filter((s) => s.end >= since && s.start <= now);
}

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
