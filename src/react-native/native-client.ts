/**
 * The InsituClient for React Native: the engine runs inline on the JS thread (no worker exists
 * there), storage is the app's key-value store, and the app's AppState says when to write. The
 * behaviour seen by the app matches the web client (src/client.ts): track() returns its error,
 * decide() always answers by its deadline, other calls reject with an InsituError.
 *
 * Nothing here, nor anything it imports, names a DOM, Worker or IndexedDB global: this entry's
 * bundle is checked for that (test/unit/react-native/bundle.test.ts).
 */
import { fallbackRecord, publicDecision } from '../../worker/decision-record.js';
import { InsituError } from '../../worker/errors.js';
import { createFetchTransport } from '../../worker/fetch-transport.js';
import { createKvStore } from '../../worker/kv-store.js';
import { timerScheduler } from '../../worker/timer-scheduler.js';
import type { Engine, EngineOptions } from '../../worker/engine-types.js';
import type { CatalogItem, InsituEvent, Priors } from '../../worker/types.js';
import { createConsentController } from '../consent/controller.js';
import { checkDecideRequest, DEFAULT_DECIDE_TIMEOUT_MS, fallbackDecision, withinDeadline } from '../decide-deadline.js';
import { createEmitter } from '../emitter.js';
import { createEventQueue } from '../event-queue.js';
import type { ClientStatus, InsituClient, InsituEvents } from '../types.js';
import { toEvent } from '../validate.js';
import { flushWhenBackgrounded } from './app-state.js';
import type { NativeInsituOptions } from './native-options.js';
import { createNativeRandom, hasSecureRandom, randomSeed } from './native-random.js';

/** A catalog or priors file larger than this is refused (same bound as the worker's). */
export const MAX_CATALOG_BYTES = 8 * 1024 * 1024;

export type EngineFactory = (options: EngineOptions) => Engine;

async function fetchJson(fetchImpl: typeof fetch, url: string, code: 'invalid_catalog' | 'invalid_priors'): Promise<unknown> {
  if (!/^https?:\/\//i.test(url)) throw new InsituError(code, `${url} must be an absolute URL: an app has no page to resolve it against`);
  const response = await fetchImpl(url, { credentials: 'omit' });
  if (!response.ok) throw new InsituError(code, `fetching ${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_CATALOG_BYTES) throw new InsituError(code, `${url} is larger than ${MAX_CATALOG_BYTES} bytes`);
  return JSON.parse(text) as unknown;
}

function asInsituError(error: unknown, code: InsituError['code'] = 'worker_unavailable'): InsituError {
  return error instanceof InsituError ? error : new InsituError(code, String((error as Error)?.message ?? error));
}

export function createNativeClient(options: NativeInsituOptions, makeEngine: EngineFactory): InsituClient {
  const emitter = createEmitter<InsituEvents>();
  const random = createNativeRandom();
  const idPrefix = `${randomSeed(random).toString(36)}-`;
  let idCounter = 0;
  const nextId = () => idPrefix + (++idCounter).toString(36);
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  let engine: Engine | undefined;
  let destroyed = false;
  const cleanups: Array<() => void> = [];

  function report(error: InsituError): void {
    try {
      options.onError?.(error);
    } catch {
      // A throwing onError must not break the app either.
    }
    emitter.emit('error', error);
  }
  /** Errors the engine handled itself (storage, training) surface through onError. */
  function drainEngineErrors(): void {
    for (const error of engine?.errors() ?? []) report(error);
  }

  const consent = createConsentController({
    ...(options.consent?.initial ? { initial: options.consent.initial } : {}),
    gpc: 'absent',
    apply: async (state) => {
      await ready;
      if (!engine) return;
      await engine.setConsent(state);
      drainEngineErrors();
      emitter.emit('status', statusNow());
    },
  });

  const queue = createEventQueue({
    async send(batch: InsituEvent[]) {
      if (!engine) throw new InsituError('worker_unavailable', 'engine not running');
      engine.track(batch);
    },
  });

  const ready: Promise<void> = (async () => {
    try {
      const catalog = typeof options.catalog === 'string' ? ((await fetchJson(fetchImpl, options.catalog, 'invalid_catalog')) as CatalogItem[]) : options.catalog;
      const priors = typeof options.priors === 'string' ? ((await fetchJson(fetchImpl, options.priors, 'invalid_priors')) as Priors) : options.priors;
      if (!hasSecureRandom()) {
        report(new InsituError('invalid_argument', 'crypto.getRandomValues is missing: install react-native-get-random-values so report ids and noise are unpredictable'));
      }
      const storage = options.storage;
      const prefix = options.storagePrefix;
      const created = makeEngine({
        ...(catalog ? { catalog } : {}),
        ...(priors ? { priors } : {}),
        consent: consent.get(),
        seed: randomSeed(random),
        scheduler: timerScheduler,
        openStore: async () => createKvStore(storage, prefix === undefined ? {} : { prefix }),
        ...(options.collectorUrl ? { collectorUrl: options.collectorUrl, transport: createFetchTransport({ fetch: fetchImpl }) } : {}),
        ...(options.report ? { report: options.report } : {}),
        reportRandom: random,
      });
      await created.ready;
      engine = created;
      // Consent may have changed while the engine started: it must end up with the latest.
      const latest = consent.get();
      if (JSON.stringify(latest) !== JSON.stringify(created.status().consent)) await created.setConsent(latest);
      drainEngineErrors();
      queue.resume();
    } catch (error) {
      report(asInsituError(error));
    }
    emitter.emit('status', statusNow());
  })();

  async function withEngine<T>(run: (engine: Engine) => T | Promise<T>): Promise<T> {
    await ready;
    if (!engine) throw new InsituError('worker_unavailable', 'the engine could not start; see status and onError');
    try {
      return await run(engine);
    } finally {
      drainEngineErrors();
    }
  }

  function statusNow(): ClientStatus {
    return {
      ...(engine ? engine.status() : {}),
      worker: engine ? 'inline' : 'starting',
      queuedEvents: queue.size,
      globalPrivacyControl: 'absent',
    };
  }

  if (options.appState) {
    cleanups.push(flushWhenBackgrounded(options.appState, () => void client.flush().catch(report)));
  }

  const client: InsituClient = {
    ready,
    consent,

    track(type, input) {
      const event = toEvent(type, input ?? {}, { id: nextId(), ts: Date.now() });
      if (event instanceof InsituError) return event;
      if (destroyed || consent.get().personalization === 'denied') return undefined;
      queue.push(event);
      if (emitter.has('event')) emitter.emit('event', { type: event.type, input: input ?? {} });
      return undefined;
    },

    async decide(placement, decideOptions) {
      const request = checkDecideRequest(placement, decideOptions, options.decideTimeoutMs ?? DEFAULT_DECIDE_TIMEOUT_MS);
      if (request instanceof InsituError) throw request;
      let refused: InsituError | undefined;
      // `expired()` turns true in the tick the deadline passes, and the engine decides synchronously
      // right after the check: a decision the app will never show is never made, never logged.
      const decision = await withinDeadline(async (expired) => {
        await ready;
        if (!engine) return undefined;
        // The engine must see the tap that happened just before this decision.
        if (queue.size) await queue.flush();
        if (expired()) return undefined;
        try {
          const { placement: p, candidates, context } = request;
          return publicDecision(engine.decide({ placement: p, candidates, ...(context ? { context } : {}) }));
        } catch (error) {
          const failure = asInsituError(error);
          if (failure.code === 'no_candidates' || failure.code === 'invalid_argument') refused = failure;
          else report(failure);
          return undefined;
        }
      }, request.timeoutMs);
      if (refused) throw refused;
      if (decision) {
        emitter.emit('decision', decision);
        return decision;
      }
      const reason = engine
        ? `No personalized decision arrived within ${request.timeoutMs} ms, so the app's default was shown.`
        : 'The personalization engine is not running, so the app’s default was shown.';
      const fallback = fallbackDecision(request, nextId(), reason);
      // Logged as its own policy (propensity 1) so the learned policy's evaluation stays unbiased.
      void ready.then(() => {
        engine?.logFallback(fallbackRecord(fallback, request.candidates));
      });
      emitter.emit('decision', fallback);
      return fallback;
    },

    async reward(decisionId, value = 1) {
      if (typeof decisionId !== 'string') throw new InsituError('invalid_argument', 'decisionId must be a string');
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new InsituError('non_finite_number', 'reward value must be a finite number');
      if (queue.size) await queue.flush();
      await withEngine((e) => void e.reward(decisionId, value));
    },
    explain: (decisionId) => withEngine((e) => e.explain(String(decisionId))),
    mute: (tag) => withEngine((e) => e.mute(String(tag))),
    unmute: (tag) => withEngine((e) => e.unmute(String(tag))),

    async exportData() {
      await client.flush();
      return withEngine((e) => e.exportData());
    },

    async deliverReports() {
      await client.flush();
      return withEngine((e) => e.deliverReports());
    },

    async forget() {
      await queue.flush();
      await withEngine((e) => e.forget());
      emitter.emit('status', statusNow());
    },

    get status(): ClientStatus {
      return statusNow();
    },

    async flush() {
      await ready;
      await queue.flush();
      if (engine) await withEngine((e) => e.flush());
    },

    on(name, listener) {
      return emitter.on(name, listener);
    },

    async destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const cleanup of cleanups.splice(0)) cleanup();
      await client.flush().catch(report);
      await engine?.close().catch((error: unknown) => report(asInsituError(error, 'storage_unavailable')));
    },
  };
  return client;
}
