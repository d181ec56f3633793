/**
 * Journey stage: a documented rule over the bounded state, checked in this order (first match wins):
 *
 *   1. converting  a `convert` (or intent event, e.g. add_to_cart) within CONVERTING_WINDOW_DAYS
 *   2. lapsing     had got past `new`, then no activity for LAPSE_AFTER_DAYS or more: either still
 *                  away, or in the first visit back after such an absence
 *   3. new         at most one visit and fewer than EXPLORING_MIN_VIEWS views
 *   4. engaged     engagement ≥ ENGAGED_MIN_ENGAGEMENT over at least EXPLORING_MIN_SESSIONS visits
 *   5. exploring   everything else: several visits, or many views in one, without a recent conversion
 *
 * `new` comes before `engaged` on purpose: one long first visit is a deep look, not yet a habit,
 * and sites want the first-visit experience (a welcome offer) for it.
 */
import { fmt, plural } from './engagement.js';
import { DAY_MS, SESSION_GAP_MS, type SignalState } from './signal-state.js';
import type { JourneyStage } from './signal-types.js';

/** A conversion keeps the person `converting` for a week: the usual post-purchase window. */
export const CONVERTING_WINDOW_DAYS = 7;
/** Two weeks without a visit, after having explored, is lapsing (a retention campaign's usual cue). */
export const LAPSE_AFTER_DAYS = 14;
/** A second visit is the first sign of exploring. */
export const EXPLORING_MIN_SESSIONS = 2;
/** Or this many views in a single first visit: browsing, not landing. */
export const EXPLORING_MIN_VIEWS = 5;
/** Engagement at or above this, over repeat visits, is `engaged`. */
export const ENGAGED_MIN_ENGAGEMENT = 0.5;

export interface StageAssignment {
  stage: JourneyStage;
  reason: string;
}

export function assignStage(state: SignalState, engagement: number, now: number): StageAssignment {
  const { sessions, views } = state.totals;
  const latest = state.sessions[state.sessions.length - 1];

  if (state.lastConversionTs !== null && now - state.lastConversionTs < CONVERTING_WINDOW_DAYS * DAY_MS) {
    const days = Math.max(0, Math.floor((now - state.lastConversionTs) / DAY_MS));
    const when = days === 0 ? 'today' : `${plural(days, 'day')} ago`;
    return { stage: 'converting', reason: `Stage converting: converted ${when} (within ${CONVERTING_WINDOW_DAYS} days).` };
  }

  if (state.lastSeenTs !== null && latest) {
    const awayMs = now - state.lastSeenTs;
    if (awayMs >= LAPSE_AFTER_DAYS * DAY_MS && hadExplored(sessions, views)) {
      const days = Math.floor(awayMs / DAY_MS);
      return {
        stage: 'lapsing',
        reason: `Stage lapsing: no visit for ${days} days (${LAPSE_AFTER_DAYS} or more) after ${plural(sessions, 'visit')}.`,
      };
    }
    const inLatestVisit = awayMs < SESSION_GAP_MS;
    const returnedAfterLapse = latest.gapBeforeMs !== null && latest.gapBeforeMs >= LAPSE_AFTER_DAYS * DAY_MS;
    if (inLatestVisit && returnedAfterLapse && hadExplored(sessions - 1, views - latest.views)) {
      const days = Math.floor((latest.gapBeforeMs ?? 0) / DAY_MS);
      return {
        stage: 'lapsing',
        reason: `Stage lapsing: first visit back after ${days} days away (${LAPSE_AFTER_DAYS} or more).`,
      };
    }
  }

  if (!hadExplored(sessions, views)) {
    const reason =
      sessions === 0
        ? 'Stage new: no visit seen on this device yet.'
        : `Stage new: first visit, ${plural(views, 'view')} (exploring from ${EXPLORING_MIN_SESSIONS} visits or ${EXPLORING_MIN_VIEWS} views).`;
    return { stage: 'new', reason };
  }

  if (sessions >= EXPLORING_MIN_SESSIONS && engagement >= ENGAGED_MIN_ENGAGEMENT) {
    return {
      stage: 'engaged',
      reason: `Stage engaged: engagement ${fmt(engagement)} is at least ${fmt(ENGAGED_MIN_ENGAGEMENT)} over ${plural(sessions, 'visit')}.`,
    };
  }

  const why =
    sessions >= EXPLORING_MIN_SESSIONS
      ? `${plural(sessions, 'visit')} and ${plural(views, 'view')}`
      : `${plural(views, 'view')} in a first visit`;
  const notEngaged =
    sessions >= EXPLORING_MIN_SESSIONS
      ? `engagement ${fmt(engagement)} below ${fmt(ENGAGED_MIN_ENGAGEMENT)}`
      : `engaged needs ${EXPLORING_MIN_SESSIONS} visits`;
  return {
    stage: 'exploring',
    reason: `Stage exploring: ${why}, no conversion in the last ${CONVERTING_WINDOW_DAYS} days, ${notEngaged}.`,
  };
}

/** Past `new`: a repeat visit, or a first visit with many views. */
function hadExplored(sessions: number, views: number): boolean {
  return sessions >= EXPLORING_MIN_SESSIONS || views >= EXPLORING_MIN_VIEWS;
}
