/**
 * The page-side client: validates and queues events, keeps consent, starts the engine (worker or
 * inline) and turns every call into a settled promise. Nothing here throws into the host page:
 * `track()` returns its error, other calls reject with an InsituError, handled problems go to
 * `onError` and the `error` event.
 */
import { InsituError, fromErrorValue } from '../worker/errors.js';
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
import type { AutoCaptureOptions, ClientStatus, InsituClient, InsituEvents, InsituOptions, WorkerState } from './types.js';
import { toEvent } from './validate.js';
import { connectEngine, type EngineConnection, type InlineServiceModule } from './worker-client.js';

/** Calls other than decide() that take longer than this are presumed lost to a dead worker. */
export const CALL_TIMEOUT_MS = 10_000;

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
  let workerState: WorkerState = 'starting';
  let connection: EngineConnection | undefined;
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
      await ready;
      if (!connection) return;
      engineStatus = unwrap(await call(connection.api.setConsent(state)));
      emitter.emit('status', statusNow());
    },
  });

  const queue = createEventQueue({
    async send(batch: InsituEvent[]) {
      if (!connection) throw new InsituError('worker_unavailable', 'engine not running');
      unwrap(await call(connection.api.track(batch)));
    },
  });

  function call<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new InsituError('worker_unavailable', `the engine did not answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
      promise.then(
        (value) => (clearTimeout(timer), resolve(value)),
        (error: unknown) => (clearTimeout(timer), reject(error)),
      );
    });
  }

  function initConfig(): WorkerInitConfig {
    const config: WorkerInitConfig = { consent: consent.get() };
    if (typeof options.catalog === 'string') config.catalogUrl = new URL(options.catalog, hasWindow ? location.href : undefined).href;
    else if (options.catalog) config.catalog = options.catalog;
    if (typeof options.priors === 'string') config.priorsUrl = new URL(options.priors, hasWindow ? location.href : undefined).href;
    else if (options.priors) config.priors = options.priors;
    if (options.report) config.report = options.report;
    if (typeof options.rules === 'string') config.rulesUrl = new URL(options.rules, hasWindow ? location.href : undefined).href;
    else if (options.rules) config.rules = options.rules;
    if (options.diversity !== undefined) config.diversity = options.diversity;
    if (options.collectorUrl) config.collectorUrl = new URL(options.collectorUrl, hasWindow ? location.href : undefined).href;
    return config;
  }

  const ready: Promise<void> = (async () => {
    try {
      const config = initConfig();
      connection = await connectEngine({
        workerUrl: options.workerUrl ?? platform.defaultWorkerUrl(),
        loadInline: () => platform.loadInline(),
        init: config,
        onWorkerError: report,
      });
      for (const problem of connection.problems) report(problem);
      workerState = connection.state;
      // Consent may have changed while the engine started; the engine must end up with the latest.
      const latest = consent.get();
      if (JSON.stringify(latest) !== JSON.stringify(config.consent)) unwrap(await connection.api.setConsent(latest));
      engineStatus = unwrap(await connection.api.status());
      queue.resume();
    } catch (error) {
      workerState = 'failed';
      report(error instanceof InsituError ? error : new InsituError('worker_unavailable', String(error)));
    }
    emitter.emit('status', statusNow());
  })();

  async function engineCall<T>(run: (api: WorkerApi) => Promise<Result<T>>): Promise<T> {
    await ready;
    if (!connection) throw new InsituError('worker_unavailable', 'the engine could not start; see status');
    return unwrap(await call(run(connection.api)));
  }

  function statusNow(): ClientStatus {
    return { ...engineStatus, worker: workerState, queuedEvents: queue.size, globalPrivacyControl: consent.gpcState };
  }

  async function refreshStatus(): Promise<void> {
    if (!connection) return;
    const result = await call(connection.api.status()).catch(() => undefined);
    if (result?.ok) engineStatus = result.value;
  }

  if (options.consent?.kind === 'tcf' && hasWindow) {
    cleanups.push(connectTcf(window, (update) => void consent.set(update).catch(report), { timeoutMs: options.consent.timeoutMs }));
  }
  if (hasWindow) cleanups.push(flushOnPageHide(window, queue));

  const client: InsituClient = {
    ready,
    consent,

    track(type, input?: TrackInput) {
      const event = toEvent(type, input ?? {}, { id: nextId(), ts: Date.now(), ...(hasWindow ? { page: location.pathname } : {}) });
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
      const decision = await withinDeadline(async () => {
        await ready;
        if (!connection) return undefined;
        // The engine must see the click that happened just before this decision.
        if (queue.size) await queue.flush();
        const { placement: p, candidates, context } = request;
        const result = await connection.api.decide({ placement: p, candidates, ...(context ? { context } : {}) });
        if (!result.ok) {
          const error = fromErrorValue(result.error);
          if (error.code === 'no_candidates' || error.code === 'invalid_argument') throw error;
          report(error);
          return undefined;
        }
        return result.value;
      }, request.timeoutMs);
      if (decision) {
        emitter.emit('decision', decision);
        return decision;
      }
      const fallback = fallbackDecision(request, nextId(), `No personalized decision arrived within ${request.timeoutMs} ms, so the site's default was shown.`);
      void ready.then(() => connection?.api.logFallback(fallback, request.candidates)).catch(() => undefined);
      if (Date.now() - started < request.timeoutMs && !connection) fallback.reasons.push('The personalization engine is not running.');
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
      await client.flush();
      return engineCall((api) => api.exportData());
    },

    async deliverReports() {
      await client.flush();
      return engineCall((api) => api.deliverReports());
    },

    async forget() {
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
      if (connection) await engineCall((api) => api.flush());
      await refreshStatus();
    },

    on(name, listener) {
      return emitter.on(name, listener);
    },

    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      await client.flush().catch(report);
      if (connection) {
        await call(connection.api.close()).catch(() => undefined);
        connection.terminate();
      }
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
