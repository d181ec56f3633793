/**
 * The page-side client: validates and queues events, keeps consent, starts the engine (worker or
 * inline) and turns every call into a settled promise. Nothing here throws into the host page:
 * `track()` returns its error, other calls reject with an InsituError, handled problems go to
 * `onError` and the `error` event.
 */
import { ERROR_CODES, InsituError, fromErrorValue, type ErrorCode } from '../worker/errors.js';
import type { EngineStatus } from '../worker/engine-types.js';
import type { ConsentState, Decision, InsituEvent, TrackInput } from '../worker/types.js';
import type { Result, WorkerApi, WorkerInitConfig } from '../worker/worker-api.js';
import { startAutoCapture } from './auto-capture.js';
import { createConsentController } from './consent/controller.js';
import { detectGpc } from './consent/gpc.js';
import { connectTcf } from './consent/tcf.js';
import { checkDecideRequest, DEFAULT_DECIDE_TIMEOUT_MS, fallbackDecision, withinDeadline } from './decide-deadline.js';
import { createEmitter } from './emitter.js';
import { createEventQueue, flushOnPageHide } from './event-queue.js';
import type { AutoCaptureOptions, ClientStatus, InsituClient, InsituEvents, InsituOptions } from './types.js';
import { createUnloadStash, pageStorage, STASH_KEY_PREFIX } from './unload-stash.js';
import { toEvent } from './validate.js';
import { superviseEngine } from './engine-supervisor.js';
import type { InlineServiceModule } from './worker-client.js';

export { CALL_TIMEOUT_MS } from './engine-supervisor.js';
/** How long track() trusts its cached page path: SPA route changes by pushState are seen within this. */
export const PAGE_PATH_TTL_MS = 100;

export interface ClientPlatform {
  /** The inline engine module, for pages where no worker can run. */
  loadInline(): Promise<InlineServiceModule>;
  /** The worker's URL when the site gives none. */
  defaultWorkerUrl(): string | URL | undefined;
}

const AUTO_CAPTURE_ALL: Required<AutoCaptureOptions> = { views: true, impressions: true, clicks: true, dwell: true, scroll: true };

function autoCaptureOptions(option: InsituOptions['autoCapture']): Required<AutoCaptureOptions> | undefined {
  if (option === false) return undefined;
  if (option === undefined || option === true) return AUTO_CAPTURE_ALL;
  return { ...AUTO_CAPTURE_ALL, ...option };
}

/** Ids unique on this device: a random per-page prefix and a counter (cheaper than a UUID per event). */
function idFactory(): () => string {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  const prefix = `${words[0]!.toString(36)}${words[1]!.toString(36)}-`;
  let counter = 0;
  return () => prefix + (++counter).toString(36);
}

function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw fromErrorValue(result.error);
}

export function createClient(options: InsituOptions, platform: ClientPlatform): InsituClient {
  const emitter = createEmitter<InsituEvents>();
  const nextId = idFactory();
  const hasWindow = typeof window !== 'undefined';
  let engineStatus: Partial<EngineStatus> = {};
  let destroyed = false;
  const cleanups: Array<() => void> = [];

  function report(error: InsituError): void {
    try {
      options.onError?.(error);
    } catch {
      // A throwing onError must not break the SDK either.
    }
    emitter.emit('error', error);
  }

  const gpc = detectGpc(hasWindow ? navigator : undefined, options.globalPrivacyControl ?? 'respect');
  const initialConsent = options.consent?.kind === 'explicit' ? options.consent.initial : undefined;
  const consent = createConsentController({
    ...(initialConsent ? { initial: initialConsent } : {}),
    gpc,
    apply: async (state) => {
      if (state.personalization === 'denied') stash.clearAll();
      await ready;
      if (engine.state === 'failed') return;
      noteStatus(unwrap(await engine.call((api) => api.setConsent(state))));
      recoverStash();
      emitter.emit('status', statusNow());
    },
  });

  const stash = createUnloadStash(hasWindow ? pageStorage() : undefined, nextId());
  /** The unload stash's mark of the last batch sent to the engine. */
  let lastSent = 0;
  const queue = createEventQueue({
    async send(batch: InsituEvent[]) {
      lastSent = stash.noteSent(batch);
      unwrap(await engine.call((api) => api.track(batch)));
    },
  });

  /** Hand the engine what earlier pages could not store before they went (only with personalization granted). */
  function recoverStash(): void {
    const personalization = consent.get().personalization;
    if (personalization === 'denied') stash.clearAll();
    if (personalization !== 'granted') return;
    for (const event of stash.take()) queue.push(event);
  }

  /** The consent the running engine was started with (a restart starts with the latest). */
  let initConsent = consent.get();
  function initConfig(): WorkerInitConfig {
    initConsent = consent.get();
    const config: WorkerInitConfig = { consent: initConsent };
    if (typeof options.catalog === 'string') config.catalogUrl = new URL(options.catalog, hasWindow ? location.href : undefined).href;
    else if (options.catalog) config.catalog = options.catalog;
    if (typeof options.priors === 'string') config.priorsUrl = new URL(options.priors, hasWindow ? location.href : undefined).href;
    else if (options.priors) config.priors = options.priors;
    if (options.report) config.report = options.report;
    if (typeof options.rules === 'string') config.rulesUrl = new URL(options.rules, hasWindow ? location.href : undefined).href;
    else if (options.rules) config.rules = options.rules;
    if (options.diversity !== undefined) config.diversity = options.diversity;
    if (options.holdoutFraction !== undefined) config.holdoutFraction = options.holdoutFraction;
    if (options.collectorUrl) config.collectorUrl = new URL(options.collectorUrl, hasWindow ? location.href : undefined).href;
    return config;
  }

  const engine = superviseEngine({
    workerUrl: options.workerUrl ?? platform.defaultWorkerUrl(),
    loadInline: () => platform.loadInline(),
    init: initConfig,
    onProblem: report,
    onState: () => emitter.emit('status', statusNow()),
  });

  // While the engine starts (tens of ms) this thread is free: load the stash's storage then, not
  // at ready, when taking the stash would hold the page's first decision.
  if (hasWindow) setTimeout(() => stash.warm(), 0);

  const ready: Promise<void> = (async () => {
    try {
      const started = await engine.initialStatus();
      // Consent may have changed while the engine started; the engine must end up with the latest.
      const latest = consent.get();
      if (JSON.stringify(latest) !== JSON.stringify(initConsent)) noteStatus(unwrap(await engine.call((api) => api.setConsent(latest))));
      else noteStatus(started ?? unwrap(await engine.call((api) => api.status())));
      queue.resume();
      recoverStash();
    } catch (error) {
      report(error instanceof InsituError ? error : new InsituError('worker_unavailable', String(error)));
    }
    emitter.emit('status', statusNow());
  })();

  async function engineCall<T>(run: (api: WorkerApi) => Promise<Result<T>>): Promise<T> {
    await ready;
    if (engine.state === 'failed') throw new InsituError('worker_unavailable', 'the engine could not start; see status');
    return unwrap(await engine.call(run));
  }

  /**
   * The engine's handled errors stay in the worker (WorkerApi has no call for them), so a storage
   * problem reaches onError when the status first shows it, and again only if it changes.
   */
  let reportedStorageReason: string | undefined;
  function noteStatus(next: EngineStatus): void {
    engineStatus = next;
    const reason = next.storage.health === 'ok' ? undefined : next.storage.reason;
    if (reason && reason !== reportedStorageReason && (ERROR_CODES as readonly string[]).includes(reason)) {
      report(new InsituError(reason as ErrorCode, `storage is ${next.storage.health} (${reason}); the engine keeps working from memory`, { storage: next.storage }));
    }
    reportedStorageReason = reason;
  }

  function statusNow(): ClientStatus {
    return { ...engineStatus, worker: engine.state, queuedEvents: queue.size, globalPrivacyControl: consent.gpcState };
  }

  async function refreshStatus(): Promise<void> {
    if (engine.state === 'failed') return;
    const result = await engine.call((api) => api.status()).catch(() => undefined);
    if (result?.ok) noteStatus(result.value);
  }

  if (options.consent?.kind === 'tcf' && hasWindow) {
    cleanups.push(connectTcf(window, (update) => void consent.set(update).catch(report), { timeoutMs: options.consent.timeoutMs }));
  }
  if (hasWindow) {
    cleanups.push(
      flushOnPageHide(window, queue, {
        onLeave: () => {
          if (consent.get().personalization === 'granted') stash.save(queue.snapshot());
        },
        // Back in view: once everything is written, this page's stash is not needed any more.
        onReturn: () => void client.flush().then(() => stash.clear(), () => undefined),
      }),
    );
    // Chromium may run the old page's pagehide after this page has started (and already looked
    // for a stash): its stash then arrives as a storage event, and is taken then.
    const onStorage = (event: StorageEvent) => {
      if (event.key?.startsWith(STASH_KEY_PREFIX) && event.newValue) recoverStash();
    };
    window.addEventListener('storage', onStorage);
    cleanups.push(() => window.removeEventListener('storage', onStorage));
  }

  // Reading location.pathname costs 1–2 µs in Chromium, as much as the rest of track(): read it
  // at most every PAGE_PATH_TTL_MS, and at once on history navigation.
  let cachedPath = '';
  let pathReadAt = -Infinity;
  function pagePath(now: number): string {
    if (now - pathReadAt > PAGE_PATH_TTL_MS) {
      cachedPath = location.pathname;
      pathReadAt = now;
    }
    return cachedPath;
  }
  if (hasWindow) {
    const forget = () => void (pathReadAt = -Infinity);
    window.addEventListener('popstate', forget);
    cleanups.push(() => window.removeEventListener('popstate', forget));
  }

  const client: InsituClient = {
    ready,
    consent,

    track(type, input?: TrackInput) {
      const ts = Date.now();
      const event = toEvent(type, input ?? {}, { id: nextId(), ts, ...(hasWindow ? { page: pagePath(ts) } : {}) });
      if (event instanceof InsituError) return event;
      if (destroyed || consent.get().personalization === 'denied') return undefined;
      queue.push(event);
      if (emitter.has('event')) emitter.emit('event', { type: event.type, input: input ?? {} });
      return undefined;
    },

    async decide(placement, decideOptions) {
      const request = checkDecideRequest(placement, decideOptions, options.decideTimeoutMs ?? DEFAULT_DECIDE_TIMEOUT_MS);
      if (request instanceof InsituError) throw request;
      const started = Date.now();
      const decision = await withinDeadline(async (expired) => {
        await ready;
        if (engine.state === 'failed') return undefined;
        // The engine must see the click that happened just before this decision.
        if (queue.size) await queue.flush();
        // Past the deadline the page shows the fallback: a decision made now would be one nobody saw.
        if (expired()) return undefined;
        const { placement: p, candidates, context } = request;
        const api = await engine.api();
        const result = await api.decide({ placement: p, candidates, ...(context ? { context } : {}) });
        if (!result.ok) {
          const error = fromErrorValue(result.error);
          if (error.code === 'no_candidates' || error.code === 'invalid_argument') throw error;
          report(error);
          return undefined;
        }
        return result.value;
      }, request.timeoutMs, (lateDecision) => {
        void engine.call((api) => api.withdraw(lateDecision.decisionId)).catch(() => undefined);
      });
      if (decision) {
        emitter.emit('decision', decision);
        return decision;
      }
      // A missed deadline may be a dead worker: the supervisor probes it (and replaces it if silent).
      engine.check();
      const fallback = fallbackDecision(request, nextId(), `No personalized decision arrived within ${request.timeoutMs} ms, so the site's default was shown.`);
      void ready.then(() => engine.call((api) => api.logFallback(fallback, request.candidates))).catch(() => undefined);
      if (Date.now() - started < request.timeoutMs && engine.state === 'failed') fallback.reasons.push('The personalization engine is not running.');
      emitter.emit('decision', fallback);
      return fallback;
    },

    async reward(decisionId, value = 1) {
      if (typeof decisionId !== 'string') throw new InsituError('invalid_argument', 'decisionId must be a string');
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new InsituError('non_finite_number', 'reward value must be a finite number');
      if (queue.size) await queue.flush();
      await engineCall((api) => api.reward(decisionId, value));
    },
    explain: (decisionId) => engineCall((api) => api.explain(String(decisionId))),
    mute: (tag) => engineCall((api) => api.mute(String(tag))),
    unmute: (tag) => engineCall((api) => api.unmute(String(tag))),

    async exportData() {
      // Hand queued events over, but do not flush the engine: a flush also starts delivery of due
      // reports, and looking at one's data must not be what sends something home.
      await ready;
      await queue.flush();
      return engineCall((api) => api.exportData());
    },

    async deliverReports() {
      await client.flush();
      return engineCall((api) => api.deliverReports());
    },

    async forget() {
      stash.clearAll();
      await queue.flush();
      await engineCall((api) => api.forget());
      await refreshStatus();
    },

    get status(): ClientStatus {
      return statusNow();
    },

    async flush() {
      await ready;
      await queue.flush();
      const sent = lastSent;
      if (engine.state !== 'failed') await engineCall((api) => api.flush());
      await refreshStatus();
      // Everything sent is written: the next page must not be handed it again (it would learn it twice).
      const { storage, pendingEvents } = engineStatus;
      if (storage && storage.mode !== 'memory' && storage.health === 'ok' && pendingEvents === 0) stash.noteStored(sent);
    },

    on(name, listener) {
      return emitter.on(name, listener);
    },

    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      await client.flush().catch(report);
      if (engine.state !== 'failed') await engine.call((api) => api.close()).catch(() => undefined);
      engine.terminate();
    },
  };

  const capture = autoCaptureOptions(options.autoCapture);
  if (capture && hasWindow && typeof document !== 'undefined') {
    cleanups.push(
      startAutoCapture(
        capture,
        (type, input) => {
          const error = client.track(type, input);
          if (error) report(error);
        },
        { window, document },
      ),
    );
  }
  return client;
}

export type { ConsentState, Decision };
