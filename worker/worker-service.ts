/**
 * The WorkerApi over an engine: what worker.ts exposes over comlink, and what the page runs inline
 * when no worker can start. Every method resolves with a Result; errors travel as values.
 */
import { fallbackRecord, publicDecision } from './decision-record.js';
import { InsituError, toErrorValue } from './errors.js';
import { composeEngine, type EngineParts } from './engine.js';
import { createPersonalizer, isInHoldout } from './decide/index.js';
import { openIdbStore } from './idb-store.js';
import { timerScheduler } from './timer-scheduler.js';
import { createSeededRandom } from './seeded-random.js';
import type { RuleBook } from './site-rules.js';
import type { Engine, Transport } from './engine-types.js';
import type { CatalogItem, Decision, Priors, ProfileStore } from './types.js';
import type { Result, WorkerApi, WorkerInitConfig } from './worker-api.js';

/** A catalog or priors file larger than this is refused: the worker must not be made to parse a hostile giant. */
export const MAX_CATALOG_BYTES = 8 * 1024 * 1024;

export interface WorkerPlatform {
  openStore?: () => Promise<ProfileStore>;
  transport?: Transport;
  fetchJson?: (url: string) => Promise<unknown>;
  /** How the rules code is imported (default: import() of its chunk). */
  importRules?: () => Promise<RuleBook>;
}

function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
function fail<T>(error: unknown): Result<T> {
  return { ok: false, error: toErrorValue(error) };
}

async function fetchJsonSameOrigin(url: string): Promise<unknown> {
  const response = await fetch(url, { credentials: 'same-origin' });
  if (!response.ok) throw new InsituError('invalid_catalog', `fetching ${url} answered ${response.status}`);
  const text = await response.text();
  if (text.length > MAX_CATALOG_BYTES) throw new InsituError('invalid_catalog', `${url} is larger than ${MAX_CATALOG_BYTES} bytes`);
  return JSON.parse(text) as unknown;
}

/**
 * The engine's parts as the worker loads them: what the first decision needs is in this file's
 * static imports; reporting, retention and sending load by import() when first needed, and the
 * rules code only for a site that has rules (worker-service.ts loads it before the first decision).
 */
const LAZY_PARTS: Omit<EngineParts, 'rules'> = {
  createPersonalizer,
  isInHoldout,
  reporting: () => import('./reporting.js'),
  retain: async (store, now) => (await import('./retention.js')).applyRetention(store, now),
};

/** Reports leave through fetch; its code loads with the first report sent. */
const lazyFetchTransport: Transport = {
  send: async (url, body, options) => (await import('./fetch-transport.js')).createFetchTransport().send(url, body, options),
};

/**
 * The rules code, for a site that has rules: loaded before the engine starts, since the first
 * decision must honour them. A failed import (offline, CSP) leaves the engine without rules,
 * which refuses them with `invalid_rules` and says so in status.
 */
async function loadRuleBook(importRules: () => Promise<RuleBook>): Promise<RuleBook | InsituError> {
  try {
    const { parseRules, applyRules } = await importRules();
    return { parseRules, applyRules };
  } catch (error) {
    return new InsituError('invalid_rules', `the rules code could not load (${String((error as Error)?.message ?? error)}); decisions go on without the site's rules`);
  }
}

/** Where IndexedDB is missing this rejects with `storage_unavailable`, and status says memory-only. */
const defaultOpenStore = (): Promise<ProfileStore> => openIdbStore();

/** `open`, except that its first call takes the store already `opening`. */
function openedFirst(opening: Promise<ProfileStore> | undefined, open: () => Promise<ProfileStore>): () => Promise<ProfileStore> {
  let first = opening;
  return () => {
    const store = first ?? open();
    first = undefined;
    return store;
  };
}

function randomSeed(): number {
  const words = new Uint32Array(1);
  globalThis.crypto.getRandomValues(words);
  return words[0]!;
}

export function createWorkerService(platform: WorkerPlatform = {}): WorkerApi {
  let engine: Engine | undefined;
  const fetchJson = platform.fetchJson ?? fetchJsonSameOrigin;

  async function run<T>(task: (engine: Engine) => T | Promise<T>): Promise<Result<T>> {
    if (!engine) return fail(new InsituError('worker_unavailable', 'init() has not been called'));
    try {
      return ok(await task(engine));
    } catch (error) {
      return fail(error);
    }
  }

  return {
    async init(config: WorkerInitConfig) {
      let opening: Promise<ProfileStore> | undefined;
      try {
        if (engine) await engine.close();
        const openStore = platform.openStore ?? defaultOpenStore;
        // With `personalization` granted the engine's first act is to open the store: start it
        // now, so it opens while the site's files load and the catalog compiles. Never while
        // consent is pending: opening creates the database.
        if (config.consent.personalization === 'granted') {
          opening = openStore();
          opening.catch(() => undefined); // the engine takes it over, and its failure, below
        }
        const hasRules = config.rules !== undefined || config.rulesUrl !== undefined;
        const [catalog, priors, rules, ruleBook] = await Promise.all([
          config.catalog ?? (config.catalogUrl ? (fetchJson(config.catalogUrl) as Promise<CatalogItem[]>) : []),
          config.priors ?? (config.priorsUrl ? (fetchJson(config.priorsUrl) as Promise<Priors>) : undefined),
          config.rules ?? (config.rulesUrl ? fetchJson(config.rulesUrl) : undefined),
          hasRules ? loadRuleBook(platform.importRules ?? (() => import('./rules/index.js'))) : undefined,
        ]);
        const created = composeEngine({
          catalog,
          priors,
          consent: config.consent,
          seed: config.seed ?? randomSeed(),
          scheduler: timerScheduler,
          openStore: openedFirst(opening, openStore),
          transport: platform.transport ?? lazyFetchTransport,
          // Report ids and noise must differ between devices: seeded from crypto, apart from the decision seed.
          reportRandom: createSeededRandom(randomSeed()),
          collectorUrl: config.collectorUrl,
          ...(config.report ? { report: config.report } : {}),
          ...(rules !== undefined ? { rules } : {}),
          ...(config.diversity !== undefined ? { diversity: config.diversity } : {}),
          ...(config.holdoutFraction !== undefined ? { holdoutFraction: config.holdoutFraction } : {}),
        }, { ...LAZY_PARTS, ...(ruleBook ? { rules: ruleBook } : {}) });
        opening = undefined;
        engine = created;
        await created.ready;
        return ok(created.status());
      } catch (error) {
        // The engine never took the store this init opened: close it, or it would block a deletion.
        void opening?.then((store) => store.close()).catch(() => undefined);
        return fail(error);
      }
    },
    setConsent: (consent) => run(async (e) => (await e.setConsent(consent), e.status())),
    track: (events) => run((e) => (e.track(events), events.length)),
    decide: (request) => run((e) => publicDecision(e.decide(request))),
    logFallback: (decision: Decision, candidates: string[]) => run((e) => e.logFallback(fallbackRecord(decision, candidates))),
    withdraw: (decisionId) => run((e) => e.withdraw(decisionId)),
    reward: (decisionId, value) => run((e) => e.reward(decisionId, value)),
    explain: (decisionId) => run((e) => e.explain(decisionId)),
    mute: (tag) => run((e) => e.mute(tag)),
    unmute: (tag) => run((e) => e.unmute(tag)),
    exportData: () => run((e) => e.exportData()),
    deliverReports: () => run((e) => e.deliverReports()),
    forget: () => run((e) => e.forget()),
    status: () => run((e) => e.status()),
    flush: () => run((e) => e.flush()),
    close: () => run((e) => e.close()),
  };
}
