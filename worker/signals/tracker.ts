/**
 * The stateful shell around the pure signal functions: it folds events into the bounded state and
 * computes engagement, stage and time context on demand. Time always comes in as an argument.
 */
import { computeEngagement, describeEngagement } from './engagement.js';
import { assignStage } from './journey.js';
import { parseSignalState } from './parse-state.js';
import { DAY_MS, DEFAULT_INTENT_EVENT_TYPES, emptySignalState, eventsInWindow, foldEvents, type SignalState } from './signal-state.js';
import type { DeviceSignals, SignalTracker } from './signal-types.js';
import { localTime } from './time-context.js';

export interface SignalTrackerOptions {
  /** Custom event types that count as intent to convert (default DEFAULT_INTENT_EVENT_TYPES). */
  intentEventTypes?: readonly string[];
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function createSignalTracker(options: SignalTrackerOptions = {}): SignalTracker {
  const intentTypes: ReadonlySet<string> = new Set(options.intentEventTypes ?? DEFAULT_INTENT_EVENT_TYPES);
  let state: SignalState = emptySignalState();

  return {
    observe(events) {
      foldEvents(state, events, intentTypes);
    },
    current(now, timezoneOffsetMinutes = 0) {
      const { hour, weekday } = localTime(now, timezoneOffsetMinutes);
      const engagement = computeEngagement(state, now);
      const { stage, reason } = assignStage(state, engagement.score, now);
      const signals: DeviceSignals = {
        engagement: engagement.score,
        stage,
        sessions: state.totals.sessions,
        eventsLast30d: eventsInWindow(state, now),
        hour,
        weekday,
        explanation: [
          reason,
          describeEngagement(engagement),
          `Local time: ${String(hour).padStart(2, '0')}h on a ${WEEKDAYS[weekday]}.`,
        ],
      };
      if (state.lastSeenTs !== null) {
        signals.lastSeenTs = state.lastSeenTs;
        signals.daysSinceLastVisit = Math.max(0, Math.floor((now - state.lastSeenTs) / DAY_MS));
      }
      return signals;
    },
    exportState: () => copyState(state),
    importState(value) {
      state = emptySignalState();
      state = parseSignalState(value);
    },
    reset() {
      state = emptySignalState();
    },
  };
}

/** A deep copy made of plain JSON values, so the store never holds a reference into live state. */
function copyState(state: SignalState): SignalState {
  return JSON.parse(JSON.stringify(state)) as SignalState;
}

