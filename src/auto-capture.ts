/**
 * Auto-capture: what a page would otherwise have to instrument by hand, each part switchable.
 * - `view` on load, on SPA navigation (history.pushState / replaceState, patched reversibly, and
 *   popstate) when the path changes, and on a return from the back/forward cache;
 * - `impression` of `[data-insitu-item]` elements (impressions.ts);
 * - `click` on them, through one delegated, passive, capture-phase listener;
 * - `dwell`: visible milliseconds on the page, and `scroll`: the deepest point reached (0..1).
 *
 * Dwell and scroll are emitted when the page is left (navigation, pagehide, stop) and also when
 * it is hidden, the last moment mobile browsers reliably give a page. So one page can yield
 * several `dwell` events, whose values add up to its visible time, and several `scroll` events,
 * each a new maximum. They carry `props.path`, the page they measure, because on popstate the
 * location has already changed when they are sent.
 *
 * Nothing here throws into the page: every callback the browser calls is wrapped, and errors
 * are dropped (the only channel out is `emit`, whose own validation errors the client reports).
 */
import type { AutoCaptureOptions } from './types.js';
import type { TrackInput } from '../worker/types.js';
import { trackImpressions, type ImpressionTracker } from './impressions.js';
import { itemInputOf, itemOnPath, pageItemOf } from './item-markup.js';
import { MAX_STRING_LENGTH } from './validate.js';

export { IMPRESSION_MIN_MS, IMPRESSION_VISIBLE_RATIO, MAX_OBSERVED_ITEMS } from './impressions.js';

/** Scroll depth is kept in hundredths: finer adds nothing a person would read and a little to fingerprint. */
export const SCROLL_DEPTH_STEPS = 100;
/** Absorbs float error so 0.29 × 100 (28.999…) still counts as 29 hundredths. */
const FLOAT_SLACK = 1e-9;
/** Scroll sampling where requestAnimationFrame is missing: about six times a second is plenty for a maximum. */
export const SCROLL_FALLBACK_INTERVAL_MS = 160;

type Emit = (type: string, input: TrackInput) => void;

interface PageVisit {
  path: string;
  /** Visible milliseconds not yet emitted. */
  unsentVisibleMs: number;
  /** When the page last became visible, or undefined while hidden or closed. */
  visibleSince: number | undefined;
  maxDepth: number;
  sentDepth: number;
  closed: boolean;
}

export function startAutoCapture(
  options: Required<AutoCaptureOptions>,
  emit: Emit,
  env: { window: Window; document: Document; now?: () => number },
): () => void {
  const { window: win, document: doc } = env;
  const now = env.now ?? (() => win.performance.now());
  const cleanups: Array<() => void> = [];
  let stopped = false;

  const send = (type: string, input: TrackInput): void => {
    if (stopped) return;
    try {
      emit(type, input);
    } catch {
      // The client's own failure; auto-capture carries on.
    }
  };
  const guard = <A extends unknown[]>(callback: (...args: A) => void) =>
    (...args: A): void => {
      if (stopped) return;
      try {
        callback(...args);
      } catch {
        // Never into the page.
      }
    };
  const listen = (target: EventTarget, type: string, handler: (event: Event) => void, opts: AddEventListenerOptions): void => {
    const wrapped = guard(handler);
    target.addEventListener(type, wrapped, opts);
    cleanups.push(() => target.removeEventListener(type, wrapped, opts));
  };

  const isPageVisible = (): boolean => doc.visibilityState !== 'hidden';
  // Bounded as validate.ts bounds strings, so a pathological URL cannot make dwell and scroll invalid.
  const pathNow = (): string => win.location.pathname.slice(0, MAX_STRING_LENGTH);
  const tracksPages = options.views || options.dwell || options.scroll || options.impressions;

  let impressions: ImpressionTracker | undefined;
  let visit: PageVisit | undefined;

  const measureScroll = (): void => {
    if (!visit || visit.closed || !options.scroll) return;
    visit.maxDepth = Math.max(visit.maxDepth, scrollDepth(win, doc));
  };
  /** Emits what this visit has not yet reported: the visible time since the last emission and a new deepest scroll. */
  const reportVisit = (): void => {
    if (!visit) return;
    if (visit.visibleSince !== undefined) {
      const at = now();
      visit.unsentVisibleMs += Math.max(0, at - visit.visibleSince);
      visit.visibleSince = at;
    }
    measureScroll();
    const dwellMs = Math.round(visit.unsentVisibleMs);
    if (options.dwell && dwellMs > 0) send('dwell', { value: dwellMs, props: { path: visit.path } });
    visit.unsentVisibleMs = 0;
    if (options.scroll && visit.maxDepth > visit.sentDepth) {
      send('scroll', { value: visit.maxDepth, props: { path: visit.path } });
      visit.sentDepth = visit.maxDepth;
    }
  };
  const openVisit = (): void => {
    visit = {
      path: pathNow(),
      unsentVisibleMs: 0,
      visibleSince: isPageVisible() ? now() : undefined,
      maxDepth: 0,
      sentDepth: 0,
      closed: false,
    };
    if (options.views) {
      const itemId = pageItemOf(doc);
      send('view', itemId ? { itemId } : {});
    }
    measureScroll();
    impressions?.startPageView();
  };
  const closeVisit = (): void => {
    if (!visit || visit.closed) return;
    reportVisit();
    visit.visibleSince = undefined;
    visit.closed = true;
    impressions?.pause();
  };
  const onLocationChange = guard(() => {
    if (visit && !visit.closed && visit.path === pathNow()) return;
    closeVisit();
    openVisit();
  });

  try {
    if (options.impressions) {
      impressions = trackImpressions({
        window: win,
        document: doc,
        isPageVisible: () => isPageVisible() && visit?.closed !== true,
        emit: (input) => send('impression', input),
        guard,
      });
      if (impressions) cleanups.push(() => impressions?.stop());
    }

    if (tracksPages) {
      openVisit();
      cleanups.push(patchHistory(win.history, onLocationChange));
      listen(win, 'popstate', onLocationChange, {});
      // Capture phase, so these run before a bubble-phase listener that flushes the client's queue.
      listen(win, 'pagehide', closeVisit, { capture: true });
      listen(win, 'pageshow', (event) => {
        if (!(event as PageTransitionEvent).persisted) return;
        closeVisit();
        openVisit();
      }, { capture: true });
      listen(doc, 'visibilitychange', () => {
        if (!visit || visit.closed) return;
        if (isPageVisible()) {
          visit.visibleSince ??= now();
          impressions?.resume();
        } else {
          reportVisit();
          visit.visibleSince = undefined;
          impressions?.pause();
        }
      }, { capture: true });
    }

    if (options.scroll) {
      const frame = scheduleFrame(win);
      let pending: (() => void) | undefined;
      listen(win, 'scroll', () => {
        pending ??= frame(guard(() => {
          pending = undefined;
          measureScroll();
        }));
      }, { passive: true });
      cleanups.push(() => pending?.());
    }

    if (options.clicks) {
      listen(doc, 'click', (event) => {
        const element = itemOnPath(typeof event.composedPath === 'function' ? event.composedPath() : event.target ? [event.target] : []);
        const input = element && itemInputOf(element);
        if (input) send('click', input);
      }, { capture: true, passive: true });
    }
  } catch {
    // A platform too odd to capture from: whatever did start is undone by stop().
  }

  return () => {
    if (stopped) return;
    // What the visit has not yet reported is sent before capture goes quiet.
    try {
      closeVisit();
    } catch {
      // Nothing to report then.
    }
    stopped = true;
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch {
        // Keep undoing the rest.
      }
    }
  };
}

/** How far down the page the viewport's bottom edge is, 0..1 in hundredths; a page with nothing to scroll is seen whole. */
export function scrollDepth(win: Window, doc: Document): number {
  const root = doc.documentElement;
  const total = Math.max(root?.scrollHeight ?? 0, doc.body?.scrollHeight ?? 0);
  const viewport = win.innerHeight;
  if (!(total > viewport) || !(viewport > 0)) return 1;
  const top = win.scrollY || root?.scrollTop || 0;
  const depth = Math.min(1, Math.max(0, (top + viewport) / total));
  return Math.floor(depth * SCROLL_DEPTH_STEPS + FLOAT_SLACK) / SCROLL_DEPTH_STEPS;
}

/** requestAnimationFrame where there is one; returns a cancel function. */
function scheduleFrame(win: Window): (callback: () => void) => () => void {
  if (typeof win.requestAnimationFrame === 'function') {
    return (callback) => {
      const id = win.requestAnimationFrame(() => callback());
      return () => win.cancelAnimationFrame(id);
    };
  }
  return (callback) => {
    const id = win.setTimeout(callback, SCROLL_FALLBACK_INTERVAL_MS);
    return () => win.clearTimeout(id);
  };
}

/**
 * Wraps history.pushState and replaceState so an SPA navigation is noticed. The page's call runs
 * first and unchanged (its result and its exceptions are its own). Undone on stop: the original
 * is put back, unless another script has wrapped ours since, in which case ours becomes a pass-through
 * rather than cutting that script out.
 */
function patchHistory(history: History, onChange: () => void): () => void {
  const undo: Array<() => void> = [];
  for (const name of ['pushState', 'replaceState'] as const) {
    const hadOwn = Object.prototype.hasOwnProperty.call(history, name);
    const original = history[name];
    let active = true;
    const wrapper = function (this: History, ...args: Parameters<History['pushState']>): void {
      original.apply(this, args);
      if (active) onChange();
    };
    history[name] = wrapper;
    undo.push(() => {
      active = false;
      if (history[name] !== wrapper) return;
      if (hadOwn) history[name] = original;
      else delete (history as Partial<History>)[name];
    });
  }
  return () => {
    for (const step of undo) step();
  };
}
