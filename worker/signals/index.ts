/** Behavioural signals on the device: engagement, journey stage and time context. */
export { createSignalTracker, type SignalTrackerOptions } from './tracker.js';
export { localTime, signalContext, MAX_TIMEZONE_OFFSET_MINUTES, type LocalTime } from './time-context.js';
export {
  computeEngagement,
  describeEngagement,
  DWELL_SATURATION_MS,
  FREQUENCY_SATURATION_SESSIONS,
  RECENCY_HALF_LIFE_DAYS,
  W_DWELL,
  W_FREQUENCY,
  W_SCROLL,
  type EngagementBreakdown,
} from './engagement.js';
export {
  assignStage,
  CONVERTING_WINDOW_DAYS,
  ENGAGED_MIN_ENGAGEMENT,
  EXPLORING_MIN_SESSIONS,
  EXPLORING_MIN_VIEWS,
  LAPSE_AFTER_DAYS,
  type StageAssignment,
} from './journey.js';
export {
  DEFAULT_INTENT_EVENT_TYPES,
  MAX_DAY_BUCKETS,
  MAX_DWELL_PER_EVENT_MS,
  MAX_SESSIONS_KEPT,
  SESSION_GAP_MS,
  SIGNAL_STATE_VERSION,
  SIGNAL_WINDOW_DAYS,
  type SessionSummary,
  type SignalState,
} from './signal-state.js';
export { JOURNEY_STAGES, type DeviceSignals, type JourneyStage, type SignalTracker } from './signal-types.js';
