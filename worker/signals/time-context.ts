/**
 * Local time as context for the bandit: the hour and weekday at the device, and a numeric encoding
 * of the signals for `DecideRequest.context`. Computed from arguments only (the engine's clock and
 * the page's timezone offset); never sent home.
 */
import { InsituError } from '../errors.js';
import { MINUTE_MS } from './signal-state.js';
import { JOURNEY_STAGES, type DeviceSignals } from './signal-types.js';

/** Real offsets run from UTC−12 to UTC+14; anything past ±14 h is a bug in the caller. */
export const MAX_TIMEZONE_OFFSET_MINUTES = 14 * 60;

export interface LocalTime {
  hour: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

/** `timezoneOffsetMinutes` as Date#getTimezoneOffset gives it: UTC − local, so −120 in UTC+2. */
export function localTime(now: number, timezoneOffsetMinutes = 0): LocalTime {
  if (!Number.isFinite(now)) throw new InsituError('invalid_argument', 'now must be a finite timestamp');
  if (!Number.isFinite(timezoneOffsetMinutes) || Math.abs(timezoneOffsetMinutes) > MAX_TIMEZONE_OFFSET_MINUTES) {
    throw new InsituError('invalid_argument', `timezoneOffsetMinutes must be within ±${MAX_TIMEZONE_OFFSET_MINUTES}`);
  }
  const local = new Date(now - timezoneOffsetMinutes * MINUTE_MS);
  return { hour: local.getUTCHours(), weekday: local.getUTCDay() };
}

/**
 * The signals as bandit context features. Hour and weekday are encoded on a circle (sin, cos) so
 * 23:00 sits next to 00:00 and Saturday next to Sunday; the stage is one-hot.
 */
export function signalContext(signals: DeviceSignals): Record<string, number> {
  const hourAngle = (2 * Math.PI * signals.hour) / 24;
  const dayAngle = (2 * Math.PI * signals.weekday) / 7;
  const features: Record<string, number> = {
    engagement: signals.engagement,
    hour_sin: Math.sin(hourAngle),
    hour_cos: Math.cos(hourAngle),
    weekday_sin: Math.sin(dayAngle),
    weekday_cos: Math.cos(dayAngle),
  };
  for (const stage of JOURNEY_STAGES) features[`stage_${stage}`] = signals.stage === stage ? 1 : 0;
  return features;
}
