import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InsituError } from '../../worker/errors.js';
import type { ConsentState } from '../../worker/types.js';
import { createConsentController } from '../../src/consent/controller.js';
import { parseConsentUpdate } from '../../src/consent/explicit.js';
import { detectGpc } from '../../src/consent/gpc.js';
import { DEFAULT_TCF_TIMEOUT_MS, connectTcf, consentFromTcData, type TCData } from '../../src/consent/tcf.js';

type TcfCallback = (data: unknown, success: boolean) => void;

/** A CMP as the CMP API spec describes it: listeners with ids, answers broadcast to all of them. */
class FakeCmp {
  private nextId = 1;
  readonly listeners = new Map<number, TcfCallback>();
  readonly removed: number[] = [];
  /** When false, addEventListener is queued unanswered, as a CMP stub does before the CMP loads. */
  loaded = true;
  private queued: TcfCallback[] = [];
  last: TCData | undefined;

  readonly api = (command: string, version: number, callback: TcfCallback, parameter?: unknown): void => {
    expect(version).toBe(2);
    if (command === 'addEventListener') {
      if (!this.loaded) {
        this.queued.push(callback);
        return;
      }
      this.register(callback);
    } else if (command === 'removeEventListener') {
      const id = parameter as number;
      this.removed.push(id);
      const existed = this.listeners.delete(id);
      callback(existed, true);
    }
  };

  private register(callback: TcfCallback): void {
    const id = this.nextId++;
    this.listeners.set(id, callback);
    // A listener hears the current state at once, if there is one.
    if (this.last) callback({ ...this.last, listenerId: id }, true);
  }

  load(): void {
    this.loaded = true;
    for (const callback of this.queued.splice(0)) this.register(callback);
  }

  answer(data: TCData): void {
    this.last = data;
    for (const [id, callback] of this.listeners) callback({ ...data, listenerId: id }, true);
  }
}

function consents(...purposes: number[]): Record<number, boolean> {
  return Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, purposes.includes(i + 1)]));
}

function tcData(purposes: number[], extra: Partial<TCData> = {}): TCData {
  return { gdprApplies: true, eventStatus: 'useractioncomplete', purpose: { consents: consents(...purposes) }, ...extra };
}

interface FakeWindow extends EventTarget {
  __tcfapi?: unknown;
  frames: Record<string, unknown>;
  parent: FakeWindow;
  posted: unknown[];
  postMessage(message: unknown): void;
}

function fakeWindow(): FakeWindow {
  const win = Object.assign(new EventTarget(), {
    setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms),
    clearTimeout: (id: ReturnType<typeof setTimeout>) => clearTimeout(id),
    setInterval: (callback: () => void, ms: number) => setInterval(callback, ms),
    clearInterval: (id: ReturnType<typeof setInterval>) => clearInterval(id),
    frames: {} as Record<string, unknown>,
    posted: [] as unknown[],
    postMessage(message: unknown) {
      win.posted.push(message);
    },
  }) as unknown as FakeWindow;
  win.parent = win;
  return win;
}

function asWindow(win: FakeWindow): Window {
  return win as unknown as Window;
}

function messageFrom(source: unknown, data: unknown): Event {
  const event = new Event('message');
  Object.defineProperties(event, { source: { value: source }, data: { value: data } });
  return event;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('TCF purposes → insitu purposes', () => {
  it.each<[string, TCData, Partial<ConsentState> | undefined]>([
    ['every purpose', tcData([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]), { personalization: 'granted', metrics: 'granted' }],
    ['1, 5 and 6 only', tcData([1, 5, 6]), { personalization: 'granted', metrics: 'denied' }],
    ['1, 8 and 9 only', tcData([1, 8, 9]), { personalization: 'denied', metrics: 'granted' }],
    ['5 and 6 without 1', tcData([5, 6, 8, 9]), { personalization: 'denied', metrics: 'denied' }],
    ['1 and 5 without 6', tcData([1, 5]), { personalization: 'denied', metrics: 'denied' }],
    ['1 and 8 without 9', tcData([1, 8]), { personalization: 'denied', metrics: 'denied' }],
    ['ad purposes only (1–4, 7)', tcData([1, 2, 3, 4, 7]), { personalization: 'denied', metrics: 'denied' }],
    ['nothing', tcData([]), { personalization: 'denied', metrics: 'denied' }],
    ['publisher consents', tcData([], { publisher: { consents: consents(1, 5, 6) } }), { personalization: 'granted', metrics: 'denied' }],
    ['purpose one not disclosed', tcData([5, 6, 8, 9], { purposeOneTreatment: true }), { personalization: 'granted', metrics: 'granted' }],
    ['gdprApplies false', { gdprApplies: false, eventStatus: 'tcloaded' }, { personalization: 'granted', metrics: 'granted' }],
    ['a stored choice (tcloaded)', tcData([1, 5, 6, 8, 9], { eventStatus: 'tcloaded' }), { personalization: 'granted', metrics: 'granted' }],
    ['the dialog still open (cmpuishown)', tcData([1, 5, 6, 8, 9], { eventStatus: 'cmpuishown' }), undefined],
    ['gdprApplies false while the dialog is open', { gdprApplies: false, eventStatus: 'cmpuishown' }, undefined],
  ])('%s', (_name, data, expected) => {
    expect(consentFromTcData(data)).toEqual(expected);
  });

  it('never sets sensitive, and ignores legitimate interest', () => {
    const data = { ...tcData([1]), purpose: { consents: consents(1), legitimateInterests: consents(5, 6, 8, 9) } } as TCData;
    const update = consentFromTcData(data);
    expect(update).toEqual({ personalization: 'denied', metrics: 'denied' });
    expect(update).not.toHaveProperty('sensitive');
  });
});

describe('connectTcf with a CMP in the page', () => {
  it('hands on the CMP’s answers as they come, and nothing while the dialog is open', () => {
    const cmp = new FakeCmp();
    const win = fakeWindow();
    win.__tcfapi = cmp.api;
    const updates: Array<Partial<ConsentState>> = [];
    connectTcf(asWindow(win), (update) => updates.push(update));
    cmp.answer(tcData([], { eventStatus: 'cmpuishown' }));
    expect(updates).toEqual([]);
    cmp.answer(tcData([1, 5, 6]));
    cmp.answer(tcData([1, 5, 6, 8, 9]));
    expect(updates).toEqual([
      { personalization: 'granted', metrics: 'denied' },
      { personalization: 'granted', metrics: 'granted' },
    ]);
  });

  it('removes its listener on stop, and hears nothing after', () => {
    const cmp = new FakeCmp();
    const win = fakeWindow();
    win.__tcfapi = cmp.api;
    const onConsent = vi.fn();
    const stop = connectTcf(asWindow(win), onConsent);
    cmp.answer(tcData([1, 5, 6]));
    expect(cmp.listeners.size).toBe(1);
    stop();
    expect(cmp.removed).toEqual([1]);
    expect(cmp.listeners.size).toBe(0);
    cmp.answer(tcData([1, 8, 9]));
    expect(onConsent).toHaveBeenCalledTimes(1);
  });

  it('stopped before the CMP first answers, removes the listener once its id is known', () => {
    const cmp = new FakeCmp();
    cmp.loaded = false;
    const win = fakeWindow();
    win.__tcfapi = cmp.api;
    const onConsent = vi.fn();
    const stop = connectTcf(asWindow(win), onConsent);
    stop();
    cmp.answer(tcData([1, 5, 6, 8, 9]));
    cmp.load();
    expect(cmp.removed).toEqual([1]);
    expect(cmp.listeners.size).toBe(0);
    expect(onConsent).not.toHaveBeenCalled();
  });

  it('finds a CMP that loads after insitu', () => {
    const cmp = new FakeCmp();
    const win = fakeWindow();
    const onConsent = vi.fn();
    const onUnavailable = vi.fn();
    connectTcf(asWindow(win), onConsent, { timeoutMs: 1_000, onUnavailable });
    vi.advanceTimersByTime(400);
    win.__tcfapi = cmp.api;
    vi.advanceTimersByTime(100);
    cmp.answer(tcData([1, 5, 6, 8, 9], { eventStatus: 'tcloaded' }));
    vi.advanceTimersByTime(5_000);
    expect(onConsent).toHaveBeenCalledWith({ personalization: 'granted', metrics: 'granted' });
    expect(onUnavailable).not.toHaveBeenCalled();
  });

  it('without a CMP, changes nothing and says so after the timeout', () => {
    const win = fakeWindow();
    const onConsent = vi.fn();
    const onUnavailable = vi.fn();
    connectTcf(asWindow(win), onConsent, { timeoutMs: 500, onUnavailable });
    vi.advanceTimersByTime(499);
    expect(onUnavailable).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onUnavailable).toHaveBeenCalledTimes(1);
    const error = onUnavailable.mock.calls[0]?.[0] as InsituError;
    expect(error).toBeInstanceOf(InsituError);
    expect(error.code).toBe('consent_pending');
    // It stops looking: a CMP appearing afterwards is not picked up, and no timer is left running.
    win.__tcfapi = new FakeCmp().api;
    vi.advanceTimersByTime(10_000);
    expect(onConsent).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it(`waits ${DEFAULT_TCF_TIMEOUT_MS} ms by default, and a CMP that is present but silent is reported too`, () => {
    const cmp = new FakeCmp();
    cmp.loaded = false;
    const win = fakeWindow();
    win.__tcfapi = cmp.api;
    const onUnavailable = vi.fn();
    connectTcf(asWindow(win), vi.fn(), { onUnavailable });
    vi.advanceTimersByTime(DEFAULT_TCF_TIMEOUT_MS - 1);
    expect(onUnavailable).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onUnavailable).toHaveBeenCalledTimes(1);
  });

  it('survives a CMP that throws, and a consumer that throws', () => {
    const win = fakeWindow();
    win.__tcfapi = () => {
      throw new Error('broken CMP');
    };
    expect(() => connectTcf(asWindow(win), vi.fn(), { timeoutMs: 100 })).not.toThrow();
    expect(() => vi.advanceTimersByTime(200)).not.toThrow();

    const cmp = new FakeCmp();
    const other = fakeWindow();
    other.__tcfapi = cmp.api;
    connectTcf(asWindow(other), () => {
      throw new Error('consumer');
    });
    expect(() => cmp.answer(tcData([1]))).not.toThrow();
  });
});

describe('connectTcf with the CMP in a parent frame', () => {
  function framed(): { child: FakeWindow; top: FakeWindow } {
    const top = fakeWindow();
    top.frames.__tcfapiLocator = {};
    const child = fakeWindow();
    child.parent = top;
    return { child, top };
  }

  function lastCall(top: FakeWindow): { command: string; callId: string; parameter?: unknown } {
    const message = top.posted.at(-1) as { __tcfapiCall: { command: string; callId: string; parameter?: unknown } };
    return message.__tcfapiCall;
  }

  it('speaks the postMessage protocol, accepts answers only from that frame, and removes its listener', () => {
    const { child, top } = framed();
    const updates: Array<Partial<ConsentState>> = [];
    const stop = connectTcf(asWindow(child), (update) => updates.push(update));
    const call = lastCall(top);
    expect(call.command).toBe('addEventListener');

    const reply = (data: TCData) => ({ __tcfapiReturn: { callId: call.callId, success: true, returnValue: { ...data, listenerId: 7 } } });
    // Another frame forging a grant is ignored.
    child.dispatchEvent(messageFrom({}, reply(tcData([1, 5, 6, 8, 9]))));
    expect(updates).toEqual([]);
    // Some CMPs send JSON strings.
    child.dispatchEvent(messageFrom(top, JSON.stringify(reply(tcData([1, 5, 6])))));
    child.dispatchEvent(messageFrom(top, reply(tcData([1, 8, 9]))));
    // An answer to someone else's call is not ours.
    child.dispatchEvent(messageFrom(top, { __tcfapiReturn: { callId: 'other', success: true, returnValue: tcData([1, 5, 6, 8, 9]) } }));
    expect(updates).toEqual([
      { personalization: 'granted', metrics: 'denied' },
      { personalization: 'denied', metrics: 'granted' },
    ]);

    stop();
    expect(lastCall(top)).toMatchObject({ command: 'removeEventListener', parameter: 7 });
    child.dispatchEvent(messageFrom(top, reply(tcData([1, 5, 6, 8, 9]))));
    expect(updates).toHaveLength(2);
  });
});

describe('Global Privacy Control', () => {
  it.each<[string, unknown, 'respect' | 'override', string]>([
    ['signal on, respected', { globalPrivacyControl: true }, 'respect', 'respected'],
    ['signal on, overridden by the site', { globalPrivacyControl: true }, 'override', 'overridden'],
    ['signal off', { globalPrivacyControl: false }, 'respect', 'absent'],
    ['not supported', {}, 'respect', 'absent'],
    ['a truthy non-boolean', { globalPrivacyControl: '1' }, 'respect', 'absent'],
    ['no navigator', undefined, 'respect', 'absent'],
  ])('%s', (_name, nav, mode, expected) => {
    expect(detectGpc(nav as Navigator | undefined, mode)).toBe(expected);
  });

  it('reads a throwing getter as absent, without throwing', () => {
    const nav = {
      get globalPrivacyControl(): boolean {
        throw new Error('hostile');
      },
    };
    expect(detectGpc(nav as unknown as Navigator, 'respect')).toBe('absent');
  });
});

describe('consent controller', () => {
  function controller(options: Partial<Parameters<typeof createConsentController>[0]> = {}) {
    const applied: ConsentState[] = [];
    const consent = createConsentController({
      gpc: 'absent',
      apply: async (state) => {
        applied.push(state);
      },
      ...options,
    });
    return { consent, applied };
  }

  it('starts pending, or from the initial choice', () => {
    expect(controller().consent.get()).toEqual({ personalization: 'pending', metrics: 'pending', sensitive: 'pending' });
    expect(controller({ initial: { personalization: 'granted' } }).consent.get()).toEqual({
      personalization: 'granted',
      metrics: 'pending',
      sensitive: 'pending',
    });
  });

  it('applies a change, then tells subscribers', async () => {
    const { consent, applied } = controller();
    const heard: ConsentState[] = [];
    consent.subscribe((state) => {
      expect(applied).toHaveLength(heard.length + 1); // applied before heard
      heard.push(state);
    });
    await consent.set({ personalization: 'granted', metrics: 'denied' });
    const expected = { personalization: 'granted', metrics: 'denied', sensitive: 'pending' };
    expect(consent.get()).toEqual(expected);
    expect(applied).toEqual([expected]);
    expect(heard).toEqual([expected]);
  });

  it('rejects invalid updates with invalid_argument and changes nothing', async () => {
    const { consent, applied } = controller();
    const bad: unknown[] = [
      { personalization: 'yes' },
      { personalization: true },
      { marketing: 'granted' },
      JSON.parse('{"__proto__": "granted"}'),
      null,
      'granted',
      ['granted'],
      new Proxy({}, { ownKeys: () => { throw new Error('hostile'); } }),
    ];
    for (const update of bad) {
      const error = await consent.set(update as Partial<ConsentState>).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(InsituError);
      expect((error as InsituError).code).toBe('invalid_argument');
    }
    expect(consent.get()).toEqual({ personalization: 'pending', metrics: 'pending', sensitive: 'pending' });
    expect(applied).toEqual([]);
  });

  it('leaves invalid initial entries pending', () => {
    const { consent } = controller({ initial: { personalization: 'granted', metrics: 'maybe' as 'granted' } });
    expect(consent.get()).toEqual({ personalization: 'granted', metrics: 'pending', sensitive: 'pending' });
    expect(parseConsentUpdate({ metrics: 'maybe' })).toBeInstanceOf(InsituError);
  });

  it('with GPC respected, denies metrics from the start and keeps it denied', async () => {
    const { consent, applied } = controller({ gpc: 'respected', initial: { metrics: 'granted' } });
    expect(consent.gpcState).toBe('respected');
    expect(consent.get().metrics).toBe('denied');
    await consent.set({ metrics: 'granted', personalization: 'granted' });
    expect(consent.get()).toEqual({ personalization: 'granted', metrics: 'denied', sensitive: 'pending' });
    expect(applied.every((state) => state.metrics === 'denied')).toBe(true);
  });

  it('with GPC overridden by the site, lets metrics be granted', async () => {
    const { consent } = controller({ gpc: 'overridden' });
    expect(consent.gpcState).toBe('overridden');
    await consent.set({ metrics: 'granted' });
    expect(consent.get().metrics).toBe('granted');
  });

  it('applies changes in the order they were made, even when an apply is slow', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const consent = createConsentController({
      gpc: 'absent',
      apply: (state) => {
        order.push(`apply ${state.personalization}`);
        if (state.personalization === 'granted') return new Promise<void>((resolve) => (release = resolve));
        return Promise.resolve();
      },
    });
    consent.subscribe((state) => order.push(`heard ${state.personalization}`));
    const first = consent.set({ personalization: 'granted' });
    const second = consent.set({ personalization: 'denied' });
    expect(consent.get().personalization).toBe('denied'); // get() has the latest choice at once
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['apply granted']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['apply granted', 'heard granted', 'apply denied', 'heard denied']);
  });

  it('does not apply a change that changes nothing', async () => {
    const { consent, applied } = controller({ initial: { personalization: 'granted' } });
    await consent.set({ personalization: 'granted' });
    expect(applied).toEqual([]);
  });

  it('reports a failed apply to its caller, and later changes still go through', async () => {
    let fail = true;
    const consent = createConsentController({
      gpc: 'absent',
      apply: async () => {
        if (fail) throw new InsituError('storage_unavailable', 'no storage');
      },
    });
    await expect(consent.set({ personalization: 'granted' })).rejects.toMatchObject({ code: 'storage_unavailable' });
    fail = false;
    await expect(consent.set({ metrics: 'granted' })).resolves.toBeUndefined();
    expect(consent.get()).toMatchObject({ personalization: 'granted', metrics: 'granted' });
  });

  it('keeps a throwing subscriber from breaking the others, and unsubscribes', async () => {
    const { consent } = controller();
    const heard: string[] = [];
    consent.subscribe(() => {
      throw new Error('subscriber bug');
    });
    const unsubscribe = consent.subscribe((state) => heard.push(`a:${state.metrics}`));
    consent.subscribe((state) => heard.push(`b:${state.metrics}`));
    await expect(consent.set({ metrics: 'granted' })).resolves.toBeUndefined();
    unsubscribe();
    await consent.set({ metrics: 'denied' });
    expect(heard).toEqual(['a:granted', 'b:granted', 'b:denied']);
  });

  it('hands out copies, so a caller cannot change the state behind its back', async () => {
    const { consent } = controller();
    const state = consent.get();
    state.personalization = 'granted';
    consent.subscribe((heard) => {
      heard.metrics = 'granted';
    });
    await consent.set({ sensitive: 'denied' });
    expect(consent.get()).toEqual({ personalization: 'pending', metrics: 'pending', sensitive: 'denied' });
  });

  it('takes TCF answers through set(), where GPC still wins', async () => {
    const cmp = new FakeCmp();
    const win = fakeWindow();
    win.__tcfapi = cmp.api;
    const { consent } = controller({ gpc: 'respected' });
    connectTcf(asWindow(win), (update) => void consent.set(update));
    cmp.answer(tcData([1, 5, 6, 8, 9]));
    await vi.advanceTimersByTimeAsync(0);
    expect(consent.get()).toEqual({ personalization: 'granted', metrics: 'denied', sensitive: 'pending' });
  });
});
