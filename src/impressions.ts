/**
 * Impressions of marked items: an element counts as seen once it has been at least half visible
 * for a full second without interruption, while the page itself is visible. Each element is
 * counted once per page view. Elements added later (SPA renders, infinite lists) are found with a
 * MutationObserver; removed ones stop being observed.
 */
import type { TrackInput } from '../worker/types.js';
import { ITEM_ATTRIBUTE, ITEM_SELECTOR, isElement, itemInputOf } from './item-markup.js';

/** The usual viewability bar (IAB/MRC display): half the element in view... */
export const IMPRESSION_VISIBLE_RATIO = 0.5;
/** ...for one continuous second. */
export const IMPRESSION_MIN_MS = 1000;
/**
 * Crossings the observer reports. Besides the 50% ratio, finer steps let an element taller than
 * the viewport (which can never be half visible) count once it fills half the viewport; that
 * check runs at each step, so it may start up to one step late.
 */
export const IMPRESSION_THRESHOLDS: readonly number[] = [0, 0.1, 0.2, 0.3, 0.4, IMPRESSION_VISIBLE_RATIO, 0.6, 0.7, 0.8, 0.9, 1];
/**
 * Items observed at once. Observing costs a little per element; past this a page is an endless
 * list, and the items beyond it are not counted until earlier ones leave the DOM.
 */
export const MAX_OBSERVED_ITEMS = 2_000;

export interface ImpressionTracker {
  /** A new page view: every element may be counted again. */
  startPageView(): void;
  /** The page was hidden: visibility does not count while nobody can see it. */
  pause(): void;
  resume(): void;
  stop(): void;
}

interface ImpressionEnv {
  window: Window;
  document: Document;
  isPageVisible: () => boolean;
  emit: (input: TrackInput) => void;
  /** Wraps callbacks the browser calls, so nothing thrown reaches the page. */
  guard: <A extends unknown[]>(callback: (...args: A) => void) => (...args: A) => void;
}

type Globals = Window & typeof globalThis;

export function trackImpressions(env: ImpressionEnv): ImpressionTracker | undefined {
  const win = env.window as Globals;
  if (typeof win.IntersectionObserver !== 'function') return undefined;

  const observed = new Set<Element>();
  /** Elements in view enough to count, whether or not their timer is running. */
  const inView = new Set<Element>();
  const timers = new Map<Element, number>();
  let counted = new WeakSet<Element>();

  const arm = (element: Element): void => {
    if (counted.has(element) || timers.has(element) || !env.isPageVisible()) return;
    timers.set(element, win.setTimeout(env.guard(() => fire(element)), IMPRESSION_MIN_MS));
  };
  const disarm = (element: Element): void => {
    const timer = timers.get(element);
    if (timer === undefined) return;
    win.clearTimeout(timer);
    timers.delete(element);
  };
  const disarmAll = (): void => {
    for (const element of [...timers.keys()]) disarm(element);
  };
  const fire = (element: Element): void => {
    timers.delete(element);
    if (counted.has(element) || !element.isConnected) return;
    const input = itemInputOf(element);
    if (!input) return;
    counted.add(element);
    env.emit(input);
  };

  const intersections = new win.IntersectionObserver(
    env.guard((entries: IntersectionObserverEntry[]) => {
      for (const entry of entries) {
        if (isViewable(entry)) {
          inView.add(entry.target);
          arm(entry.target);
        } else {
          inView.delete(entry.target);
          disarm(entry.target);
        }
      }
    }),
    { threshold: [...IMPRESSION_THRESHOLDS] },
  );

  const observe = (element: Element): void => {
    if (observed.has(element) || observed.size >= MAX_OBSERVED_ITEMS) return;
    observed.add(element);
    intersections.observe(element);
  };
  const unobserve = (element: Element): void => {
    if (!observed.delete(element)) return;
    intersections.unobserve(element);
    inView.delete(element);
    disarm(element);
  };
  const itemsIn = (node: Node): Element[] => {
    if (!isElement(node)) return [];
    const found = [...node.querySelectorAll(ITEM_SELECTOR)];
    if (node.hasAttribute(ITEM_ATTRIBUTE)) found.unshift(node);
    return found;
  };

  const additions = typeof win.MutationObserver === 'function'
    ? new win.MutationObserver(
        env.guard((records: MutationRecord[]) => {
          for (const record of records) {
            if (record.type === 'attributes') {
              const target = record.target as Element;
              if (target.isConnected && target.hasAttribute(ITEM_ATTRIBUTE)) observe(target);
              else unobserve(target);
              continue;
            }
            // Judged by where each node is now, so a node moved within one batch stays observed.
            for (const node of record.removedNodes) {
              if (!node.isConnected) for (const element of itemsIn(node)) unobserve(element);
            }
            for (const node of record.addedNodes) {
              if (node.isConnected) for (const element of itemsIn(node)) observe(element);
            }
          }
        }),
      )
    : undefined;
  additions?.observe(env.document, { childList: true, subtree: true, attributes: true, attributeFilter: [ITEM_ATTRIBUTE] });
  for (const element of itemsIn(env.document.documentElement)) observe(element);

  return {
    startPageView() {
      counted = new WeakSet();
      disarmAll();
      for (const element of inView) arm(element);
    },
    pause: disarmAll,
    resume() {
      for (const element of inView) arm(element);
    },
    stop() {
      disarmAll();
      additions?.disconnect();
      intersections.disconnect();
      observed.clear();
      inView.clear();
    },
  };
}

function isViewable(entry: IntersectionObserverEntry): boolean {
  if (!entry.isIntersecting) return false;
  if (entry.intersectionRatio >= IMPRESSION_VISIBLE_RATIO) return true;
  const root = entry.rootBounds;
  if (!root || root.width <= 0 || root.height <= 0) return false;
  const shown = entry.intersectionRect.width * entry.intersectionRect.height;
  return shown / (root.width * root.height) >= IMPRESSION_VISIBLE_RATIO;
}
