/**
 * The WorkerApi over an engine: what worker.ts exposes over comlink, and what the page runs inline
 * when no worker can start. Every method resolves with a Result; errors travel as values.
 */
import { InsituError, toErrorValue } from './errors.js';
import { createEngine } from './index.js';
import { openIdbStore } from './idb-store.js';
import { timerScheduler } from './timer-scheduler.js';
import { createFetchTransport } from './fetch-transport.js';
import { createSeededRandom } from './seeded-random.js';
import type { Engine, Transport } from './engine-types.js';
import type { CatalogItem, Decision, DecisionRecord, Priors, ProfileStore } from './types.js';
import type { Result, WorkerApi, WorkerInitConfig } from './worker-api.js';

/** A catalog or priors file larger than this is refused: the worker must not be made to parse a hostile giant. */
export const MAX_CATALOG_BYTES = 8 * 1024 * 1024;

export interface WorkerPlatform {
  openStore?: () => Promise<ProfileStore>;
  transport?: Transport;
  fetchJson?: (url: string) => Promise<unknown>;
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

/** Where IndexedDB is missing this rejects with `storage_unavailable`, and status says memory-only. */
const defaultOpenStore = (): Promise<ProfileStore> => openIdbStore();

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
      try {
        if (engine) await engine.close();
        const catalog = config.catalog ?? (config.catalogUrl ? ((await fetchJson(config.catalogUrl)) as CatalogItem[]) : []);
        const priors = config.priors ?? (config.priorsUrl ? ((await fetchJson(config.priorsUrl)) as Priors) : undefined);
        const rules = config.rules ?? (config.rulesUrl ? await fetchJson(config.rulesUrl) : undefined);
        const created = createEngine({
          catalog,
          priors,
          consent: config.consent,
          seed: config.seed ?? randomSeed(),
          scheduler: timerScheduler,
          openStore: platform.openStore ?? defaultOpenStore,
          transport: platform.transport ?? createFetchTransport(),
          // Report ids and noise must differ between devices: seeded from crypto, apart from the decision seed.
          reportRandom: createSeededRandom(randomSeed()),
          collectorUrl: config.collectorUrl,
          ...(config.report ? { report: config.report } : {}),
          ...(rules !== undefined ? { rules } : {}),
          ...(config.diversity !== undefined ? { diversity: config.diversity } : {}),
          ...(config.holdoutFraction !== undefined ? { holdoutFraction: config.holdoutFraction } : {}),
        });
        engine = created;
        await created.ready;
        return ok(created.status());
      } catch (error) {
        return fail(error);
      }
    },
    setConsent: (consent) => run(async (e) => (await e.setConsent(consent), e.status())),
    track: (events) => run((e) => (e.track(events), events.length)),
    decide: (request) => run((e) => publicDecision(e.decide(request))),
    logFallback: (decision: Decision, candidates: string[]) =>
      run((e) => {
        const probabilities = candidates.map((id) => (id === decision.itemId ? 1 : 0));
        const record: DecisionRecord = { ...decision, candidates, scores: candidates.map(() => 0), probabilities };
        e.logFallback(record);
      }),
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

/** The page gets the decision without the per-candidate arrays (those stay in the device's log). */
function publicDecision(record: DecisionRecord): Decision {
  const { decisionId, placement, itemId, propensity, exploring, policy, reasons, ts } = record;
  return { decisionId, placement, itemId, propensity, exploring, policy, reasons, ts };
}
