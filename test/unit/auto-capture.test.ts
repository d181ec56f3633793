// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AutoCaptureOptions } from '../../src/types.js';
import type { TrackInput } from '../../worker/types.js';
import { IMPRESSION_MIN_MS, IMPRESSION_VISIBLE_RATIO, MAX_OBSERVED_ITEMS, startAutoCapture } from '../../src/auto-capture.js';

/** happy-dom's IntersectionObserver is an inert stub; this one lets a test say what is in view. */
class FakeIntersectionObserver {
  static instances: FakeIntersectionObserver[] = [];
  readonly observed = new Set<Element>();
  disconnected = false;
  constructor(
    readonly callback: IntersectionObserverCallback,
    readonly options?: IntersectionObserverInit,
  ) {
    FakeIntersectionObserver.instances.push(this);
  }
  observe(target: Element): void {
    this.observed.add(target);
  }
  unobserve(target: Element): void {
    this.observed.delete(target);
  }
  disconnect(): void {
    this.observed.clear();
    this.disconnected = true;
  }
  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }
  /** Reports `target` as `ratio` visible in a 1000×1000 viewport; `height` is the element's height. */
  report(target: Element, ratio: number, height = 100): void {
    const shownHeight = height * ratio;
    const entry = {
      target,
      isIntersecting: ratio > 0,
      intersectionRatio: ratio,
      rootBounds: { width: 1000, height: 1000 },
      intersectionRect: { width: 1000, height: shownHeight },
      boundingClientRect: { width: 1000, height },
      time: Date.now(),
    } as unknown as IntersectionObserverEntry;
    this.callback([entry], this as unknown as IntersectionObserver);
  }
  static get current(): FakeIntersectionObserver {
    const last = FakeIntersectionObserver.instances.at(-1);
    if (!last) throw new Error('no IntersectionObserver was created');
    return last;
  }
}

const ALL: Required<AutoCaptureOptions> = { views: true, impressions: true, clicks: true, dwell: true, scroll: true };
const originalPushState = History.prototype.pushState;

let events: Array<[string, TrackInput]>;
let stops: Array<() => void>;

function start(options: Partial<AutoCaptureOptions> = {}, emit?: (type: string, input: TrackInput) => void): () => void {
  const stop = startAutoCapture({ ...ALL, ...options }, emit ?? ((type, input) => events.push([type, input])), {
    window,
    document,
    now: () => Date.now(),
  });
  stops.push(stop);
  return stop;
}

function ofType(type: string): TrackInput[] {
  return events.filter(([t]) => t === type).map(([, input]) => input);
}

function setVisibility(state: 'visible' | 'hidden'): void {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true });
  document.dispatchEvent(new Event('visibilitychange'));
}

function setScroll(metrics: { scrollHeight: number; innerHeight: number; scrollY: number }): void {
  Object.defineProperty(document.documentElement, 'scrollHeight', { value: metrics.scrollHeight, configurable: true });
  Object.defineProperty(window, 'innerHeight', { value: metrics.innerHeight, configurable: true });
  Object.defineProperty(window, 'scrollY', { value: metrics.scrollY, configurable: true });
}

/** happy-dom has no PageTransitionEvent, so `persisted` is set on a plain event. */
function pageTransition(type: 'pagehide' | 'pageshow', persisted = false): Event {
  const event = new Event(type);
  Object.defineProperty(event, 'persisted', { value: persisted });
  return event;
}

function addItem(id: string, html = ''): HTMLElement {
  document.body.insertAdjacentHTML('beforeend', html || `<article data-insitu-item="${id}"><a href="#">${id}</a></article>`);
  return document.querySelector(`[data-insitu-item="${id}"]`) as HTMLElement;
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal('IntersectionObserver', FakeIntersectionObserver);
  FakeIntersectionObserver.instances = [];
  events = [];
  stops = [];
  // A test may leave its own history wrapper behind; start each from the prototype's methods.
  delete (history as Partial<History>).pushState;
  delete (history as Partial<History>).replaceState;
  originalPushState.call(history, null, '', '/');
  document.body.innerHTML = '';
  Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
  setScroll({ scrollHeight: 0, innerHeight: 800, scrollY: 0 });
});

afterEach(() => {
  for (const stop of stops) stop();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('page views', () => {
  it('sends a view at start and one per SPA navigation to a new path', () => {
    start();
    expect(ofType('view')).toEqual([{}]);
    history.pushState({}, '', '/products?page=2');
    history.replaceState({}, '', '/products?page=3'); // same path: not a new page
    history.pushState({}, '', '/products#reviews');
    expect(ofType('view')).toHaveLength(2);
    originalPushState.call(history, null, '', '/cart');
    window.dispatchEvent(new PopStateEvent('popstate'));
    expect(ofType('view')).toHaveLength(3);
  });

  it('a page about one item (meta insitu:item) sends views of that item', () => {
    const meta = document.createElement('meta');
    meta.setAttribute('name', 'insitu:item');
    meta.setAttribute('content', 'book-42');
    document.head.append(meta);
    try {
      start();
      expect(ofType('view')).toEqual([{ itemId: 'book-42' }]);
    } finally {
      meta.remove();
    }
  });

  it('keeps the page’s own history calls working, results and all', () => {
    start();
    history.pushState({ step: 1 }, '', '/a');
    expect(location.pathname).toBe('/a');
    expect(history.state).toEqual({ step: 1 });
    history.replaceState({ step: 2 }, '', '/b');
    expect(location.pathname).toBe('/b');
    expect(history.state).toEqual({ step: 2 });
  });

  it('puts history back as it was on stop', () => {
    const stop = start();
    expect(Object.hasOwn(history, 'pushState')).toBe(true);
    stop();
    expect(Object.hasOwn(history, 'pushState')).toBe(false);
    expect(Object.hasOwn(history, 'replaceState')).toBe(false);
    expect(history.pushState).toBe(History.prototype.pushState);
    history.pushState({}, '', '/after-stop');
    expect(ofType('view')).toHaveLength(1);
  });

  it('leaves a later wrapper in place on stop, and stops reporting through its own', () => {
    const stop = start();
    const ours = history.pushState;
    const calls: string[] = [];
    const theirs = function (this: History, ...args: Parameters<History['pushState']>): void {
      calls.push(String(args[2]));
      ours.apply(this, args);
    };
    history.pushState = theirs;
    stop();
    expect(history.pushState).toBe(theirs);
    history.pushState({}, '', '/x');
    expect(calls).toEqual(['/x']);
    expect(location.pathname).toBe('/x');
    expect(ofType('view')).toHaveLength(1);
  });

  it('starts a new page view on a return from the back/forward cache', () => {
    start();
    window.dispatchEvent(pageTransition('pagehide', true));
    window.dispatchEvent(pageTransition('pageshow', false));
    expect(ofType('view')).toHaveLength(1);
    window.dispatchEvent(pageTransition('pageshow', true));
    expect(ofType('view')).toHaveLength(2);
  });
});

describe('dwell and scroll depth', () => {
  it('sends the visible time of a page when it is left, with the path it measures', () => {
    start();
    vi.advanceTimersByTime(4_200);
    history.pushState({}, '', '/next');
    expect(ofType('dwell')).toEqual([{ value: 4_200, props: { path: '/' } }]);
    vi.advanceTimersByTime(1_000);
    window.dispatchEvent(pageTransition('pagehide'));
    expect(ofType('dwell')).toEqual([
      { value: 4_200, props: { path: '/' } },
      { value: 1_000, props: { path: '/next' } },
    ]);
  });

  it('counts only visible time; the values sent for one page add up to it', () => {
    start();
    vi.advanceTimersByTime(2_000);
    setVisibility('hidden'); // sent now: mobile browsers may never fire pagehide
    vi.advanceTimersByTime(60_000);
    setVisibility('visible');
    vi.advanceTimersByTime(3_000);
    window.dispatchEvent(pageTransition('pagehide'));
    const values = ofType('dwell').map((input) => input.value);
    expect(values).toEqual([2_000, 3_000]);
  });

  it('sends the deepest scroll point (0..1) with the dwell, sampled once per frame', () => {
    setScroll({ scrollHeight: 4_000, innerHeight: 1_000, scrollY: 0 });
    start();
    setScroll({ scrollHeight: 4_000, innerHeight: 1_000, scrollY: 2_000 });
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(50);
    setScroll({ scrollHeight: 4_000, innerHeight: 1_000, scrollY: 500 }); // back up: the maximum stays
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(50);
    window.dispatchEvent(pageTransition('pagehide'));
    expect(ofType('scroll')).toEqual([{ value: 0.75, props: { path: '/' } }]);
  });

  it('sends scroll again only when a new maximum is reached', () => {
    setScroll({ scrollHeight: 2_000, innerHeight: 1_000, scrollY: 0 });
    start();
    setVisibility('hidden');
    setVisibility('visible');
    setVisibility('hidden');
    expect(ofType('scroll').map((input) => input.value)).toEqual([0.5]);
    setVisibility('visible');
    setScroll({ scrollHeight: 2_000, innerHeight: 1_000, scrollY: 1_000 });
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(50);
    setVisibility('hidden');
    expect(ofType('scroll').map((input) => input.value)).toEqual([0.5, 1]);
  });

  it('keeps depth in whole hundredths, without float error', () => {
    setScroll({ scrollHeight: 1_000, innerHeight: 290, scrollY: 0 }); // 0.29 × 100 is 28.999… in floats
    start();
    setScroll({ scrollHeight: 3_000, innerHeight: 1_000, scrollY: 1 }); // 0.33366… → 0.33
    window.dispatchEvent(new Event('scroll'));
    vi.advanceTimersByTime(50);
    setVisibility('hidden');
    expect(ofType('scroll').map((input) => input.value)).toEqual([0.33]);
    setVisibility('visible');
  });

  it('starts at the depth first seen, before any scrolling', () => {
    setScroll({ scrollHeight: 1_000, innerHeight: 290, scrollY: 0 });
    start();
    window.dispatchEvent(pageTransition('pagehide'));
    expect(ofType('scroll').map((input) => input.value)).toEqual([0.29]);
  });

  it('takes a page with nothing to scroll as seen whole', () => {
    setScroll({ scrollHeight: 500, innerHeight: 800, scrollY: 0 });
    start();
    window.dispatchEvent(pageTransition('pagehide'));
    expect(ofType('scroll')).toEqual([{ value: 1, props: { path: '/' } }]);
  });

  it('sends what is unsent on stop, then nothing more', () => {
    const stop = start();
    vi.advanceTimersByTime(1_500);
    stop();
    expect(ofType('dwell')).toEqual([{ value: 1_500, props: { path: '/' } }]);
    window.dispatchEvent(pageTransition('pagehide'));
    expect(ofType('dwell')).toHaveLength(1);
  });
});

describe('impressions', () => {
  it('counts an item ≥ 50% visible for 1 s, with its slot and decision', () => {
    addItem('sku-1', '<section data-insitu-slot="hero"><article data-insitu-item="sku-1" data-insitu-decision="d-7">x</article></section>');
    start();
    const io = FakeIntersectionObserver.current;
    const item = document.querySelector('[data-insitu-item]') as Element;
    expect(io.observed.has(item)).toBe(true);
    expect(io.options?.threshold).toContain(IMPRESSION_VISIBLE_RATIO);
    io.report(item, 0.6);
    vi.advanceTimersByTime(IMPRESSION_MIN_MS - 1);
    expect(ofType('impression')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ofType('impression')).toEqual([{ itemId: 'sku-1', placement: 'hero', decisionId: 'd-7' }]);
  });

  it('takes the decision from the slot when the item has none', () => {
    addItem('a', '<div data-insitu-slot="rail" data-insitu-decision="d-1"><p data-insitu-item="a">a</p></div>');
    start();
    FakeIntersectionObserver.current.report(document.querySelector('[data-insitu-item]') as Element, 1);
    vi.advanceTimersByTime(IMPRESSION_MIN_MS);
    expect(ofType('impression')).toEqual([{ itemId: 'a', placement: 'rail', decisionId: 'd-1' }]);
  });

  it('does not count an item that leaves view (or stays under 50%) before 1 s', () => {
    const item = addItem('sku-2');
    start();
    const io = FakeIntersectionObserver.current;
    io.report(item, 0.4);
    vi.advanceTimersByTime(5_000);
    io.report(item, 0.9);
    vi.advanceTimersByTime(600);
    io.report(item, 0.2);
    vi.advanceTimersByTime(5_000);
    expect(ofType('impression')).toEqual([]);
  });

  it('counts an item taller than the viewport once it fills half of it', () => {
    const item = addItem('tall');
    start();
    // 3000 px tall in a 1000 px viewport: 30% of it fills 90% of the screen.
    FakeIntersectionObserver.current.report(item, 0.3, 3_000);
    vi.advanceTimersByTime(IMPRESSION_MIN_MS);
    expect(ofType('impression')).toEqual([{ itemId: 'tall' }]);
  });

  it('counts each item once per page view, and again on the next page view', () => {
    const item = addItem('sku-3');
    start();
    const io = FakeIntersectionObserver.current;
    io.report(item, 1);
    vi.advanceTimersByTime(IMPRESSION_MIN_MS);
    io.report(item, 0);
    io.report(item, 1);
    vi.advanceTimersByTime(IMPRESSION_MIN_MS * 3);
    expect(ofType('impression')).toHaveLength(1);
    history.pushState({}, '', '/page-2'); // still in view on the new page
    vi.advanceTimersByTime(IMPRESSION_MIN_MS);
    expect(ofType('impression')).toHaveLength(2);
  });

  it('does not count time while the page is hidden', () => {
    const item = addItem('sku-4');
    start();
    FakeIntersectionObserver.current.report(item, 1);
    vi.advanceTimersByTime(900);
    setVisibility('hidden');
    vi.advanceTimersByTime(10_000);
    expect(ofType('impression')).toEqual([]);
    setVisibility('visible');
    vi.advanceTimersByTime(IMPRESSION_MIN_MS - 1);
    expect(ofType('impression')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ofType('impression')).toHaveLength(1);
  });

  it('observes items added later and stops observing removed ones', async () => {
    start();
    const io = FakeIntersectionObserver.current;
    document.body.insertAdjacentHTML('beforeend', '<ul><li data-insitu-item="late-1">1</li><li data-insitu-item="late-2">2</li></ul>');
    await vi.advanceTimersByTimeAsync(0);
    const late = [...document.querySelectorAll('[data-insitu-item]')];
    expect(late.every((element) => io.observed.has(element))).toBe(true);
    const plain = document.createElement('div');
    document.body.append(plain);
    plain.setAttribute('data-insitu-item', 'marked-later');
    await vi.advanceTimersByTimeAsync(0);
    expect(io.observed.has(plain)).toBe(true);

    io.report(late[0] as Element, 1);
    late[0]?.parentElement?.remove();
    await vi.advanceTimersByTimeAsync(IMPRESSION_MIN_MS);
    expect(io.observed.has(late[0] as Element)).toBe(false);
    expect(ofType('impression')).toEqual([]);
  });

  it(`observes at most ${MAX_OBSERVED_ITEMS} items at once`, () => {
    document.body.innerHTML = Array.from({ length: MAX_OBSERVED_ITEMS + 5 }, (_, i) => `<i data-insitu-item="i${i}"></i>`).join('');
    start();
    expect(FakeIntersectionObserver.current.observed.size).toBe(MAX_OBSERVED_ITEMS);
  });

  it('disconnects its observers on stop', () => {
    const item = addItem('sku-5');
    const stop = start();
    const io = FakeIntersectionObserver.current;
    io.report(item, 1);
    stop();
    expect(io.disconnected).toBe(true);
    vi.advanceTimersByTime(IMPRESSION_MIN_MS * 2);
    expect(ofType('impression')).toEqual([]);
  });

  it('without IntersectionObserver, captures everything else', () => {
    vi.stubGlobal('IntersectionObserver', undefined);
    const item = addItem('sku-6');
    start();
    item.click();
    expect(ofType('view')).toHaveLength(1);
    expect(ofType('click')).toEqual([{ itemId: 'sku-6' }]);
  });
});

describe('clicks', () => {
  it('sends a click for the nearest item around the target, even if the page stops propagation', () => {
    addItem('sku-7', '<div data-insitu-slot="grid"><article data-insitu-item="sku-7"><button>buy</button></article></div>');
    start();
    const button = document.querySelector('button') as HTMLButtonElement;
    button.addEventListener('click', (event) => event.stopPropagation());
    button.click();
    expect(ofType('click')).toEqual([{ itemId: 'sku-7', placement: 'grid' }]);
  });

  it('ignores clicks outside items and stops listening on stop', () => {
    const item = addItem('sku-8');
    document.body.insertAdjacentHTML('beforeend', '<p id="plain">text</p>');
    const stop = start();
    (document.getElementById('plain') as HTMLElement).click();
    expect(ofType('click')).toEqual([]);
    stop();
    item.click();
    expect(ofType('click')).toEqual([]);
  });

  it('registers a passive, capture-phase listener on the document', () => {
    const spy = vi.spyOn(document, 'addEventListener');
    start();
    const click = spy.mock.calls.find(([type]) => type === 'click');
    expect(click?.[2]).toMatchObject({ capture: true, passive: true });
    spy.mockRestore();
  });
});

describe('switches and safety', () => {
  it('does nothing at all with every part switched off', () => {
    const item = addItem('sku-9');
    start({ views: false, impressions: false, clicks: false, dwell: false, scroll: false });
    expect(Object.hasOwn(history, 'pushState')).toBe(false);
    expect(FakeIntersectionObserver.instances).toHaveLength(0);
    item.click();
    history.pushState({}, '', '/elsewhere');
    vi.advanceTimersByTime(5_000);
    window.dispatchEvent(pageTransition('pagehide'));
    expect(events).toEqual([]);
  });

  it('switches parts off one by one', () => {
    const item = addItem('sku-10');
    start({ views: false, scroll: false });
    item.click();
    vi.advanceTimersByTime(1_000);
    window.dispatchEvent(pageTransition('pagehide'));
    expect(events.map(([type]) => type)).toEqual(['click', 'dwell']);
  });

  it('never throws into the page, even when emit throws or the DOM misbehaves', () => {
    const item = addItem('sku-11');
    const pageErrors: unknown[] = [];
    window.addEventListener('error', (event) => pageErrors.push(event));
    start({}, () => {
      throw new Error('client broke');
    });
    const io = FakeIntersectionObserver.current;
    expect(() => item.click()).not.toThrow();
    expect(() => history.pushState({}, '', '/x')).not.toThrow();
    io.report(item, 1);
    expect(() => vi.advanceTimersByTime(IMPRESSION_MIN_MS)).not.toThrow();
    item.getAttribute = () => {
      throw new Error('hostile element');
    };
    expect(() => item.click()).not.toThrow();
    expect(() => window.dispatchEvent(pageTransition('pagehide'))).not.toThrow();
    expect(pageErrors).toEqual([]);
    delete (item as Partial<HTMLElement>).getAttribute;
  });

  it('lets the page’s own history errors through unchanged', () => {
    start();
    expect(() => history.pushState({}, '', 'https://elsewhere.example/x')).toThrow();
  });
});
