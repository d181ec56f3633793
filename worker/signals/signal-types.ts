/**
 * What the device knows about the person's journey, computed from this device's own events only.
 * It stays on the device: the engine shows it in exportData() and explain(), and the reporter may
 * send at most a noised count per stage.
 */
import type { InsituEvent } from '../types.js';

export const JOURNEY_STAGES = ['new', 'exploring', 'engaged', 'converting', 'lapsing'] as const;
export type JourneyStage = (typeof JOURNEY_STAGES)[number];

export interface DeviceSignals {
  /** Engagement intensity now, 0..1 (definition in engagement.ts and docs/signals-and-rules.md). */
  engagement: number;
  stage: JourneyStage;
  /** Sessions (visits) ever observed on this device; a gap of 30 minutes or more starts a new one. */
  sessions: number;
  /** Events of any type in the last 30 days. */
  eventsLast30d: number;
  lastSeenTs?: number;
  /** Whole days since the last event (0 within the first 24 hours). */
  daysSinceLastVisit?: number;
  /** Local hour 0..23 at `now`. */
  hour: number;
  /** Local weekday at `now`, 0 = Sunday … 6 = Saturday (as Date#getDay). */
  weekday: number;
  /** Plain-language reasons for this stage and this score. */
  explanation: string[];
}

export interface SignalTracker {
  /** Fold events into the bounded state; any order, any batch size. */
  observe(events: readonly InsituEvent[]): void;
  /**
   * The signals at `now`. `timezoneOffsetMinutes` follows Date#getTimezoneOffset: minutes to add
   * to local time to reach UTC (−120 in UTC+2); default 0, i.e. UTC.
   */
  current(now: number, timezoneOffsetMinutes?: number): DeviceSignals;
  /** JSON-serialisable state for the store (key 'signals'). */
  exportState(): unknown;
  /** Restore stored state; bad state throws InsituError('invalid_argument') and leaves a clean start. */
  importState(state: unknown): void;
  reset(): void;
}
