/**
 * Consent from an IAB TCF v2 CMP on the page, through the CMP API (`__tcfapi`), either in this
 * frame or, for a page inside an iframe, in an ancestor frame found by its `__tcfapiLocator`
 * child frame and spoken to with the postMessage protocol (`__tcfapiCall` / `__tcfapiReturn`).
 *
 * Purposes (TCF v2.2 policy; numbers checked against the published purpose list):
 *
 * | insitu purpose    | granted iff the person consented to TCF purposes                         |
 * | ----------------- | ------------------------------------------------------------------------ |
 * | `personalization` | 1 Store and/or access information on a device,                           |
 * |                   | 5 Create profiles to personalise content, and                            |
 * |                   | 6 Use profiles to select personalised content                            |
 * | `metrics`         | 1 Store and/or access information on a device,                           |
 * |                   | 8 Measure content performance, and                                       |
 * |                   | 9 Understand audiences through statistics or combinations of data...     |
 * | `sensitive`       | no TCF purpose covers it: never set from TCF, only explicitly            |
 *
 * - Only consent counts, never legitimate interest: insitu asks for the stricter basis.
 * - insitu is not a GVL vendor; it runs for the site, so a purpose counts as consented when the
 *   person consented to it for vendors (`purpose.consents`) or for the publisher
 *   (`publisher.consents`).
 * - `purposeOneTreatment: true` means purpose 1 was not disclosed because the publisher's country
 *   does not require consent for it; purpose 1 then counts as satisfied.
 * - `gdprApplies: false`: TCF does not govern this visitor, so both purposes are granted.
 * - Acts on eventStatus `tcloaded` (a stored choice) and `useractioncomplete` (a new one); while
 *   the CMP's dialog is open (`cmpuishown`) nothing changes.
 * - No CMP within the timeout: nothing changes (consent stays pending) and `onUnavailable` says so.
 */
import { InsituError } from '../../worker/errors.js';
import type { ConsentState } from '../../worker/types.js';

/** How long to wait for a CMP to appear and answer. CMP scripts load async; 3 s covers slow ones without leaving the site guessing for long. */
export const DEFAULT_TCF_TIMEOUT_MS = 3_000;
/** How often to look for a CMP that is still loading. */
export const TCF_POLL_INTERVAL_MS = 50;
/** Frames to climb looking for the CMP: ad and embed nesting rarely goes deeper. */
export const MAX_FRAME_DEPTH = 10;

export const PERSONALIZATION_PURPOSES = [1, 5, 6] as const;
export const METRICS_PURPOSES = [1, 8, 9] as const;
const TCF_VERSION = 2;
const ACTED_ON_STATUS: ReadonlySet<unknown> = new Set(['tcloaded', 'useractioncomplete']);
const LOCATOR_FRAME = '__tcfapiLocator';

/** The parts of the CMP API's TCData that insitu reads. */
export interface TCData {
  gdprApplies?: boolean;
  eventStatus?: 'tcloaded' | 'cmpuishown' | 'useractioncomplete' | string;
  listenerId?: number;
  purposeOneTreatment?: boolean;
  purpose?: { consents?: Record<string | number, boolean> };
  publisher?: { consents?: Record<string | number, boolean> };
}

export type TcfApi = (command: string, version: number, callback: (data: unknown, success: boolean) => void, parameter?: unknown) => void;

export interface TcfOptions {
  timeoutMs?: number;
  /** Called once if no CMP answers within the timeout (code `consent_pending`). */
  onUnavailable?: (error: InsituError) => void;
}

/** Maps a CMP's answer to our purposes; undefined when it carries no decision yet. */
export function consentFromTcData(data: TCData): Partial<ConsentState> | undefined {
  if (!ACTED_ON_STATUS.has(data.eventStatus)) return undefined;
  if (data.gdprApplies === false) return { personalization: 'granted', metrics: 'granted' };
  const consented = (purpose: number): boolean =>
    (purpose === 1 && data.purposeOneTreatment === true) ||
    data.purpose?.consents?.[purpose] === true ||
    data.publisher?.consents?.[purpose] === true;
  const all = (purposes: readonly number[]) => (purposes.every(consented) ? 'granted' : 'denied');
  return { personalization: all(PERSONALIZATION_PURPOSES), metrics: all(METRICS_PURPOSES) };
}

export function connectTcf(win: Window, onConsent: (update: Partial<ConsentState>) => void, options?: TcfOptions): () => void {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_TCF_TIMEOUT_MS;
  let stopped = false;
  let answered = false;
  let disconnect: (() => void) | undefined;
  const timers: number[] = [];

  const onData = (data: unknown, success: boolean): void => {
    if (stopped || !success || typeof data !== 'object' || data === null) return;
    answered = true;
    let update: Partial<ConsentState> | undefined;
    try {
      update = consentFromTcData(data as TCData);
    } catch {
      return; // A malformed answer changes nothing.
    }
    if (!update) return;
    try {
      onConsent(update);
    } catch {
      // The consumer's own failure.
    }
  };

  const tryConnect = (): boolean => {
    try {
      disconnect = connectDirect(win, onData) ?? connectThroughFrames(win, onData);
    } catch {
      disconnect = undefined;
    }
    return disconnect !== undefined;
  };

  if (!tryConnect()) {
    const poll = win.setInterval(() => {
      if (stopped || tryConnect()) win.clearInterval(poll);
    }, TCF_POLL_INTERVAL_MS);
    timers.push(poll);
  }
  timers.push(
    win.setTimeout(() => {
      if (stopped || answered) return;
      // Stop looking; a CMP found but silent keeps its listener in case it answers late.
      for (const timer of timers) win.clearInterval(timer);
      try {
        options?.onUnavailable?.(
          new InsituError('consent_pending', `no TCF CMP answered within ${timeoutMs} ms; consent stays pending`, { timeoutMs }),
        );
      } catch {
        // The consumer's own failure.
      }
    }, timeoutMs),
  );

  return () => {
    if (stopped) return;
    stopped = true;
    for (const timer of timers) {
      win.clearInterval(timer);
      win.clearTimeout(timer);
    }
    try {
      disconnect?.();
    } catch {
      // The CMP's own failure.
    }
  };
}

/** The CMP in this frame: `__tcfapi('addEventListener')`, removed by the listenerId it hands back. */
function connectDirect(win: Window, onData: (data: unknown, success: boolean) => void): (() => void) | undefined {
  const api = (win as Window & { __tcfapi?: unknown }).__tcfapi;
  if (typeof api !== 'function') return undefined;
  const tcfapi = api as TcfApi;
  let listenerId: number | undefined;
  let removed = false;
  const remove = (): void => {
    if (listenerId === undefined) return;
    const id = listenerId;
    listenerId = undefined;
    tcfapi('removeEventListener', TCF_VERSION, () => undefined, id);
  };
  tcfapi('addEventListener', TCF_VERSION, (data, success) => {
    const id = (data as TCData | null)?.listenerId;
    if (typeof id === 'number') listenerId = id;
    // Stopped before the CMP first answered: remove now that we know which listener is ours.
    if (removed) remove();
    else onData(data, success);
  });
  return () => {
    removed = true;
    remove();
  };
}

/** A CMP in an ancestor frame, via the postMessage protocol of the CMP API spec. */
function connectThroughFrames(win: Window, onData: (data: unknown, success: boolean) => void): (() => void) | undefined {
  const cmpFrame = findCmpFrame(win);
  if (!cmpFrame) return undefined;
  const callId = `insitu-${Math.random().toString(36).slice(2)}`;
  let listenerId: number | undefined;
  let removed = false;

  const post = (command: string, id: string, parameter?: unknown): void => {
    cmpFrame.postMessage({ __tcfapiCall: { command, version: TCF_VERSION, callId: id, parameter } }, '*');
  };
  const remove = (): void => {
    if (listenerId === undefined) return;
    post('removeEventListener', `${callId}-remove`, listenerId);
    listenerId = undefined;
  };
  const onMessage = (event: MessageEvent): void => {
    // Only the frame we called may answer, so another frame cannot forge a consent.
    if (event.source !== cmpFrame) return;
    let message: unknown = event.data;
    try {
      if (typeof message === 'string') message = JSON.parse(message);
    } catch {
      return;
    }
    const reply = (message as { __tcfapiReturn?: { callId?: unknown; returnValue?: unknown; success?: unknown } } | null)?.__tcfapiReturn;
    if (!reply || reply.callId !== callId) return;
    const id = (reply.returnValue as TCData | null)?.listenerId;
    if (typeof id === 'number') listenerId = id;
    if (!removed) {
      onData(reply.returnValue, reply.success === true);
    } else if (listenerId !== undefined) {
      // Stopped before the CMP first answered: now that we know which listener is ours, remove it.
      remove();
      win.removeEventListener('message', onMessage);
    }
  };
  win.addEventListener('message', onMessage);
  post('addEventListener', callId);
  return () => {
    removed = true;
    if (listenerId === undefined) return; // still waiting to learn the listenerId (onMessage finishes the job)
    remove();
    win.removeEventListener('message', onMessage);
  };
}

/** The nearest ancestor frame (or this one) that holds a `__tcfapiLocator` child frame. */
function findCmpFrame(win: Window): Window | undefined {
  let frame: Window = win;
  for (let depth = 0; depth < MAX_FRAME_DEPTH; depth++) {
    try {
      // Named child frames are reachable even across origins.
      if ((frame.frames as unknown as Record<string, unknown>)[LOCATOR_FRAME]) return frame;
    } catch {
      // A frame we may not look into: keep climbing.
    }
    if (frame === frame.parent) return undefined;
    frame = frame.parent;
  }
  return undefined;
}
