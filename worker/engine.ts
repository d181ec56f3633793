/**
 * The engine: consent gate + store + personalizer + reporter, composed over ports. It touches no
 * platform global; the worker (worker.ts), React Native and Node tests hand it different ports.
 */
import { ConsentGate } from './consent-gate.js';
import { createReportingSlot, type ReportingSource } from './reporting-slot.js';
import { createEventDedup } from './event-dedup.js';
import { InsituError } from './errors.js';
import { catalogData, priorsData, wellFormedEvents } from './engine-input.js';
import { createSeededRandom, randomId } from './seeded-random.js';
import { createSiteRules, type RuleBook, type SiteRules } from './site-rules.js';
import type {
  Engine,
  EngineExport,
  Explanation,
  EngineOptions,
  EngineStatus,
  Personalizer,
  PersonalizerOptions,
} from './engine-types.js';
import type { Reporting } from './reporting.js';
import type { ConsentState, DecideRequest, DecisionRecord, InsituEvent, ProfileStore, Scheduler } from './types.js';
import { PENDING_CONSENT } from './types.js';

/** Default share of devices in the holdout arm: enough to measure lift, small enough to cost little. */
export const DEFAULT_HOLDOUT_FRACTION = 0.05;
/** Model and bandit state is written at most this often: it changes on every event. */
export const STATE_WRITE_DELAY_MS = 1_000;
/** Train the tfjs model after this many new learning events (training costs tens of ms in the worker). */
export const TRAIN_EVERY_EVENTS = 20;
/** Decisions kept in memory for explain() and reward(). */
export const MAX_RECENT_DECISIONS = 200;
/** How often a running engine looks for finished report periods and due retries. */
export const REPORT_CHECK_INTERVAL_MS = 60_000;
/** A diversified shelf of k is chosen from the best k × this many: wide enough to find variety, narrow enough to stay relevant. */
export const DIVERSITY_POOL_FACTOR = 4;
/**
 * Catalog items whose features are compiled per idle step (items compile on first use; the rest
 * are compiled ahead so decisions and the first learning step do not wait on them). Steps run at
 * background priority from the engine's start, while the store opens, and again after a catalog
 * change or a decision: a message or a storage answer that arrives meanwhile waits for one step at most, a few
 * tenths of a millisecond.
 */
export const COMPILE_AHEAD_ITEMS = 10;
/** Handled errors kept for errors(): enough to see what went wrong, bounded for a worker nobody asks. */
export const MAX_HANDLED_ERRORS = 100;
/** A click or `convert` on the shown item within this window rewards its decision by itself (a session's length). */
export const ATTRIBUTION_WINDOW_MS = 30 * 60_000;
/**
 * A lazily loaded reporting part loads right after the first decision; a page that asks for none
 * gets it this long after the engine is ready (its tallies wait in memory meanwhile).
 */
export const REPORTING_LOAD_DELAY_MS = 500;
/**
 * flush() waits this long at most for reporting code still loading (its tallies are stored with
 * the rest); past it, events, decisions and state are written without them rather than held
 * behind an import that hangs.
 */
export const REPORTING_FLUSH_WAIT_MS = 1_000;

/** The parts an engine is built from; worker/index.ts supplies the real ones. */
export interface EngineParts {
  createPersonalizer(options: PersonalizerOptions): Personalizer;
  isInHoldout(deviceId: string, fraction: number): boolean;
  retain?(store: ProfileStore, now: number): Promise<void>;
  /** The reporting module, or a loader the engine calls after its first decision (worker). */
  reporting: ReportingSource;
  /** The site rules' parser and evaluator, or why its code could not load; without it, rules are refused with `invalid_rules`. */
  rules?: RuleBook | InsituError;
}

interface DeviceRecord {
  deviceId: string;
}

export function composeEngine(given: EngineOptions, parts: EngineParts): Engine {
  // Copied, not mutated: setCatalog/setPriors replace these, and the caller's object stays theirs.
  const options: EngineOptions = { ...given, catalog: catalogData(given.catalog), priors: priorsData(given.priors) };
  const clock = options.clock ?? { now: () => Date.now() };
  const random = options.random ?? createSeededRandom(options.seed ?? 0x1c5e7);
  const scheduler: Scheduler = options.scheduler ?? immediateScheduler;
  const holdoutFraction = options.holdoutFraction ?? DEFAULT_HOLDOUT_FRACTION;
  let consent: ConsentState = { ...(options.consent ?? PENDING_CONSENT) };
  let deviceId = randomId(random, 'd-');
  let modelSource: EngineStatus['model'] = 'snapshot';
  let learnedSinceTraining = 0;
  let training: Promise<void> | undefined;
  const recentDecisions = new Map<string, DecisionRecord>();
  const dedup = createEventDedup();
  const errors: InsituError[] = [];
  /** Kept for errors(); nobody may ever ask (the worker has no call for it), so only the newest stay. */
  function noteError(error: InsituError): void {
    errors.push(error);
    if (errors.length > MAX_HANDLED_ERRORS) errors.splice(0, errors.length - MAX_HANDLED_ERRORS);
  }
  /** Why the site's rules were refused, for status. */
  let rulesRefused: InsituError | undefined;
  const site = createSiteRulesOrNone();

  /** Invalid rules are refused with `invalid_rules` (see errors() and status); the engine runs without them rather than not at all. */
  function createSiteRulesOrNone(): SiteRules {
    const timezoneOffset = options.timezoneOffset ?? ((now: number) => new Date(now).getTimezoneOffset());
    const ruleBook = parts.rules instanceof InsituError ? undefined : parts.rules;
    try {
      if (parts.rules instanceof InsituError && options.rules !== undefined) throw parts.rules;
      return createSiteRules({ rules: options.rules, diversity: options.diversity, timezoneOffset, ...(ruleBook ? { ruleBook } : {}) });
    } catch (error) {
      rulesRefused = error instanceof InsituError ? error : new InsituError('invalid_rules', String(error));
      noteError(rulesRefused);
      return createSiteRules({ timezoneOffset, ...(ruleBook ? { ruleBook } : {}) });
    }
  }

  const gate = new ConsentGate({
    openStore: options.openStore,
    scheduler,
    clock,
    retain: parts.retain,
    onError: (error) => noteError(error),
    onLateLoad: (loaded) => restore(loaded),
  });

  const makePersonalizer = () =>
    parts.createPersonalizer({
      catalog: options.catalog ?? [],
      priors: options.priors,
      random,
      clock,
      consent: () => consent,
      inHoldout: parts.isInHoldout(deviceId, holdoutFraction),
      ...(options.halfLifeDays !== undefined ? { halfLifeDays: options.halfLifeDays } : {}),
    });
  // The personalizer checks the catalog item by item (invalid_catalog) before the other parts read it.
  let personalizer = makePersonalizer();
  site.setCatalog(options.catalog ?? []);

  const reporting = createReportingSlot({
    source: parts.reporting,
    random: options.reportRandom ?? random,
    clock,
    config: { ...options.report, catalog: options.catalog ?? [] },
    transport: options.transport,
    url: options.collectorUrl,
    outbox: () => gate.outbox(),
    consent: () => consent,
    // The engine's stand-in scheduler runs tasks at once, which would end every request at once.
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    putState: (key, value) => gate.putState(key, value),
    persist: () => gate.flush(),
    storedState: (key) => gate.storedState(key),
    onLoaded: () => persistStateSoon(),
    onError: noteError,
  });
  let closed = false;
  function checkReportsPeriodically(): void {
    if (!options.transport || !options.collectorUrl || closed) return;
    scheduler.defer(() => {
      if (closed) return;
      void reporting.run().catch((error: unknown) => noteError(error instanceof InsituError ? error : new InsituError('network_error', String(error))));
      checkReportsPeriodically();
    }, REPORT_CHECK_INTERVAL_MS);
  }
  let compilingAhead = false;
  const later = (task: () => void) => (scheduler.whenIdle ? scheduler.whenIdle(task) : scheduler.defer(task, 0));
  function compileAheadSoon(): void {
    if (compilingAhead || closed) return;
    compilingAhead = true;
    const step = () => {
      if (closed || personalizer.compileAhead(COMPILE_AHEAD_ITEMS)) compilingAhead = false;
      else later(step);
    };
    later(step);
  }

  function loadReportingSoon(delayMs: number): void {
    if (reporting.state === 'deferred') scheduler.defer(() => void reporting.load(), delayMs);
  }

  let cancelStateWrite: (() => void) | undefined;
  /**
   * What every event or decision changes. The reporter's tallies belong here too: kept only when a
   * report was built, a page that closed before its period ended took its activity with it.
   */
  function putLearnedState(): void {
    gate.putState('model', personalizer.exportState());
    gate.putState('signals', site.exportState());
    const tallies = reporting.tallies();
    if (tallies !== undefined) gate.putState('reporter', tallies);
  }

  function persistStateSoon(): void {
    if (cancelStateWrite) return;
    cancelStateWrite = scheduler.defer(() => {
      cancelStateWrite = undefined;
      putLearnedState();
    }, STATE_WRITE_DELAY_MS);
  }

  function rememberDecision(record: DecisionRecord): void {
    recentDecisions.set(record.decisionId, record);
    if (recentDecisions.size > MAX_RECENT_DECISIONS) {
      const oldest = recentDecisions.keys().next().value;
      if (oldest !== undefined) recentDecisions.delete(oldest);
    }
    gate.putDecision(record);
  }

  /** The decision a click or convert on a shown item answers: named by id, else the newest showing that item. */
  function attributedDecision(event: InsituEvent): DecisionRecord | undefined {
    if (event.type !== 'click' && event.type !== 'convert') return undefined;
    if (event.decisionId) return recentDecisions.get(event.decisionId);
    if (!event.itemId) return undefined;
    let found: DecisionRecord | undefined;
    for (const record of recentDecisions.values()) {
      if (record.itemId === event.itemId && event.ts - record.ts <= ATTRIBUTION_WINDOW_MS && event.ts >= record.ts) found = record;
    }
    return found;
  }

  function trainSoon(): void {
    if (training || learnedSinceTraining < TRAIN_EVERY_EVENTS) return;
    learnedSinceTraining = 0;
    training = personalizer
      .train()
      .then(() => {
        modelSource = 'tfjs';
        persistStateSoon();
      })
      .catch((error: unknown) => {
        noteError(new InsituError('worker_unavailable', `training failed: ${String(error)}`));
      })
      .finally(() => (training = undefined));
  }

  /**
   * Rebuild from a stored profile the gate just loaded (after a grant, or an open that succeeded
   * only on a retry): the stored model with this session's unsaved events learned on top, put
   * back at once so the stored model is never replaced by one that knew only this session.
   */
  function restore(loaded: Awaited<ReturnType<ConsentGate['setPersonalization']>>): void {
    if (!loaded || loaded.created) {
      // A fresh store: remember this device's id so the holdout arm stays stable across visits.
      // What this session learned before it opened is in memory already and is written as usual.
      if (gate.status.mode !== 'memory') gate.putState('device', { deviceId } satisfies DeviceRecord);
      return;
    }
    const device = loaded.state.device as DeviceRecord | undefined;
    if (device && typeof device.deviceId === 'string' && device.deviceId.length <= 64) {
      deviceId = device.deviceId;
    } else {
      gate.putState('device', { deviceId } satisfies DeviceRecord);
    }
    // Events seen while pending (or while storage was down) were learned in memory; rebuild on
    // top of the stored state. Read synchronously: a write landing meanwhile would hide them.
    const pending = [...gate.unsaved];
    personalizer = makePersonalizer();
    let restored = false;
    if (loaded.state.model !== undefined) {
      try {
        personalizer.importState(loaded.state.model);
        restored = true;
      } catch (error) {
        // Tampered or incompatible state: the profile is a rebuildable cache, start clean.
        noteError(error instanceof InsituError ? error : new InsituError('storage_unavailable', String(error)));
      }
    }
    if (pending.length) personalizer.observe(pending);
    // A stored model restored as it was needs no write now (exporting it costs a returning
    // visitor's first decision ~10 ms); the next change writes it as usual.
    if (pending.length || !restored) gate.putState('model', personalizer.exportState());
    restoreInto(loaded.state.signals, (v) => site.importState(v));
    for (const [key, restoreState] of [
      ['reporter', (r: Reporting, v: unknown) => r.reporter.importState(v)],
      ['ledger', (r: Reporting, v: unknown) => r.reporter.importLedger(v)],
      ['sent', (r: Reporting, v: unknown) => r.loop.restoreSent(v)],
    ] as const) {
      const value = loaded.state[key];
      if (value !== undefined) reporting.tell((r) => restoreInto(value, (v) => restoreState(r, v)));
    }
  }

  function restoreInto(value: unknown, restoreState: (value: unknown) => void): void {
    if (value === undefined) return;
    try {
      restoreState(value);
    } catch (error) {
      noteError(error instanceof InsituError ? error : new InsituError('storage_unavailable', String(error)));
    }
  }

  async function applyConsent(next: ConsentState): Promise<void> {
    const previous = consent;
    consent = { ...next };
    if (next.personalization === 'denied' && previous.personalization !== 'denied') {
      personalizer.reset();
      site.reset();
      recentDecisions.clear();
      dedup.clear();
    }
    const told = consent;
    reporting.tell((r) => r.reporter.setConsent(told));
    if (next.metrics === 'denied' && previous.metrics !== 'denied') await reporting.withdraw();
    const loaded = await gate.setPersonalization(next.personalization);
    if (next.personalization === 'granted') restore(loaded);
  }

  const ready = applyConsent(consent)
    .catch((error: unknown) => {
      noteError(error instanceof InsituError ? error : new InsituError('storage_unavailable', String(error)));
    })
    .then(() => {
      checkReportsPeriodically();
      loadReportingSoon(REPORTING_LOAD_DELAY_MS);
    });
  // Opening the store takes tens of milliseconds in which this thread mostly waits: compile the
  // catalog's rows meanwhile (the first decision, and restoring a returning profile, would
  // otherwise do it), in background steps the store's answers and the page's messages come before.
  compileAheadSoon();

  const engine: Engine = {
    ready,

    async setConsent(next) {
      await ready;
      await applyConsent(next);
    },

    track(events) {
      if (consent.personalization === 'denied') return;
      const checked = wellFormedEvents(events);
      if (checked.rejected) noteError(new InsituError('invalid_props', `${checked.rejected} malformed event(s) left out`));
      const fresh = dedup.filter(checked.events);
      if (!fresh.length) return;
      personalizer.observe(fresh);
      site.observe(fresh);
      reporting.tell((r) => {
        for (const event of fresh) r.reporter.observeEvent(event);
      }, true);
      gate.addEvents(fresh);
      for (const event of fresh) {
        const record = attributedDecision(event);
        if (record && record.reward === undefined) engine.reward(record.decisionId, event.type === 'convert' && Number.isFinite(event.value) ? event.value! : 1);
      }
      learnedSinceTraining += fresh.length;
      persistStateSoon();
      trainSoon();
    },

    rank(request) {
      const context = site.context(request, clock.now());
      // Diversity re-ranks a wider pool than the shelf it fills.
      const pool = request.k && options.diversity ? request.k * DIVERSITY_POOL_FACTOR : request.k;
      return site.diversify(personalizer.rank({ ...request, context, ...(pool ? { k: pool } : {}) }), request.k);
    },

    decide(request: DecideRequest) {
      const now = clock.now();
      const withContext = { ...request, context: site.context(request, now) };
      const record = site.decide(withContext, now, () => randomId(random, 'r-'), (ruled) => personalizer.decide(ruled));
      rememberDecision(record);
      reporting.tell((r) => r.reporter.observeDecision(record), true);
      persistStateSoon();
      // After this decision's answer has gone: nothing of reporting is needed to give it.
      loadReportingSoon(0);
      compileAheadSoon();
      return record;
    },

    logFallback(record: DecisionRecord) {
      rememberDecision(record);
      reporting.tell((r) => {
        r.reporter.observeDecision(record);
        r.reporter.observeHealth({ deadlineFallbacks: 1 });
      }, true);
    },

    withdraw(decisionId) {
      const record = recentDecisions.get(decisionId);
      if (!record) return false;
      recentDecisions.delete(decisionId);
      personalizer.withdraw(decisionId);
      gate.dropDecision(decisionId);
      reporting.tell((r) => r.reporter.forgetDecision(decisionId), true);
      persistStateSoon();
      return true;
    },

    reward(decisionId, value) {
      if (!Number.isFinite(value)) throw new InsituError('invalid_argument', 'reward value must be a finite number');
      const rewarded = personalizer.reward(decisionId, value);
      if (rewarded) reporting.tell((r) => r.reporter.observeReward(decisionId, value), true);
      const record = recentDecisions.get(decisionId);
      if (rewarded && record) {
        const updated = { ...record, reward: (record.reward ?? 0) + value, rewardedAt: clock.now() };
        recentDecisions.set(decisionId, updated);
        gate.putDecision(updated);
      }
      persistStateSoon();
      return rewarded;
    },

    explain(decisionId) {
      const record = recentDecisions.get(decisionId);
      if (record && (record.policy === 'pinned' || record.policy === 'fallback')) return explainRuled(record);
      return personalizer.explain(decisionId) ?? (record && explainRuled(record));
    },

    setRules(rules) {
      site.setRules(rules);
      rulesRefused = undefined;
    },

    mute(tag) {
      personalizer.mute(tag);
      persistStateSoon();
    },

    unmute(tag) {
      personalizer.unmute(tag);
      persistStateSoon();
    },

    setCatalog(items) {
      items = catalogData(items) ?? [];
      options.catalog = items;
      personalizer.setCatalog(items);
      site.setCatalog(items);
      reporting.tell((r) => r.reporter.setCatalog(items));
      compileAheadSoon();
    },

    setPriors(priors) {
      priors = priorsData(priors);
      options.priors = priors;
      personalizer.setPriors(priors);
    },

    status() {
      return {
        consent: { ...consent },
        storage: gate.status,
        pendingEvents: gate.pendingEvents,
        storedEvents: gate.storedEvents,
        model: modelSource,
        reporting: {
          state: reporting.state,
          ...(reporting.reason ? { reason: reporting.reason } : {}),
          ...(reporting.dropped ? { droppedObservations: reporting.dropped } : {}),
        },
        ...(rulesRefused ? { rulesRefused: { code: rulesRefused.code, message: rulesRefused.message } } : {}),
      };
    },

    async exportData(): Promise<EngineExport> {
      await ready;
      // Write what is due first, so the export shows as stored what the store will hold; unlike
      // flush() this starts no report delivery: looking at one's data sends nothing.
      // While storage is failing its retry schedule owns the writes: an export must not add attempts.
      if (gate.status.health === 'ok') await gate.flush().catch(() => undefined);
      const { stored, memory } = await gate.exportAll();
      // What is stored, plus what is held and not written yet (a decision made a moment ago, an
      // event handed over twice after a reload): each thing once, in the list it is really in.
      const storedIds = new Set(stored?.events.map((e) => e.id));
      const storedDecisions = new Set(stored?.decisions.map((d) => d.decisionId));
      const unwritten = [...recentDecisions.values()].filter((d) => !storedDecisions.has(d.decisionId));
      return {
        schemaVersion: stored?.schemaVersion ?? 0,
        events: stored?.events ?? [],
        decisions: stored ? [...stored.decisions, ...unwritten].sort((x, y) => x.ts - y.ts) : unwritten,
        outbox: stored?.outbox ?? [],
        state: stored?.state ?? { model: personalizer.exportState() },
        memory: { events: memory.filter((e) => !storedIds.has(e.id)) },
        consent: { ...consent },
        affinities: personalizer.affinities(),
        sent: await reporting.sent(),
        signals: { ...site.signals(clock.now()) },
      };
    },

    async forget() {
      await ready;
      personalizer.reset();
      site.reset();
      recentDecisions.clear();
      dedup.clear();
      deviceId = randomId(random, 'd-');
      reporting.tell((r) => r.reporter.reset());
      await reporting.withdraw();
      await gate.forget();
      personalizer = makePersonalizer();
      if (gate.status.mode !== 'memory') gate.putState('device', { deviceId } satisfies DeviceRecord);
    },

    async flush() {
      await ready;
      // The reporter's tallies are stored with the rest, so its code should be here to give them;
      // an import that hangs must not hold the rest of the write (a page leaving flushes).
      if (reporting.state !== 'ready') {
        let cancelWait: (() => void) | undefined;
        const waited = new Promise<void>((resolve) => (cancelWait = scheduler.defer(resolve, REPORTING_FLUSH_WAIT_MS)));
        await Promise.race([reporting.load(), waited]);
        cancelWait?.();
      }
      if (cancelStateWrite) {
        cancelStateWrite();
        cancelStateWrite = undefined;
        putLearnedState();
      }
      await gate.flush();
      // Delivery starts here (on pagehide too) but is not waited for: a slow collector must not
      // hold a flush, an export or a page's exit. deliverReports() waits for it.
      if (consent.metrics === 'granted' && reporting.state === 'ready') void reporting.run().catch((error: unknown) => noteError(new InsituError('network_error', String(error))));
    },

    async close() {
      closed = true;
      await engine.flush();
      await gate.close();
    },

    async deliverReports() {
      await ready;
      return reporting.run();
    },

    errors() {
      return errors.splice(0);
    },
  };
  return engine;
}

/** A decision a site rule made (pinned) or that fell back: nothing learned drove it, and it says so. */
function explainRuled(record: DecisionRecord): Explanation {
  return {
    decisionId: record.decisionId,
    itemId: record.itemId,
    policy: record.policy,
    exploring: record.exploring,
    propensity: record.propensity,
    reasons: record.reasons,
    alternatives: record.candidates.map((itemId, i) => ({ itemId, score: record.scores[i] ?? 0, probability: record.probabilities[i] ?? 0 })),
    drivers: [],
  };
}

/** Without a platform scheduler, deferred work runs on the next microtask (Node tests, benchmarks). */
const immediateScheduler: Scheduler = {
  defer(task) {
    let cancelled = false;
    queueMicrotask(() => {
      if (!cancelled) task();
    });
    return () => {
      cancelled = true;
    };
  },
};
