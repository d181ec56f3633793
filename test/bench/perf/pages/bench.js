// The page the performance bench drives (test/bench/perf/run.ts). Every measurement runs here,
// in the page, so no DevTools round trip sits inside a timed region; Node only collects samples.
// Each figure has a floor measured the same way with the SDK taken out:
//   track()      vs pushing the same object to an array
//   decide()     vs a postMessage round trip to an idle bare worker (floor-worker.js)
//   cold start   vs a bare module worker answering its first message
// The SDK is imported dynamically so that a cold start or a session can include (or exclude) it.

const SDK_URL = '/dist/insitu.esm.js';
const FLOOR_WORKER_URL = '/bench/floor-worker.js';
/** Large enough for the 500-candidate decide, with items never offered so the catalog is not all candidates. */
const CATALOG_SIZE = 600;
const TOPICS = ['science-fiction', 'fantasy', 'romance', 'thriller', 'history', 'travel', 'cooking', 'poetry', 'biography', 'classic', 'humour', 'crime'];
/** A decide past this is a fallback, which is not what is measured: the deadline only guards against a hang. */
const BENCH_DECIDE_TIMEOUT_MS = 30_000;
/** The bench syncs with the engine this often while tracking, so the queue and the consent gate stay under their caps. */
const FLUSH_EVERY_EVENTS = 1_000;
/** Decides before sampling, so the JIT and the worker's first-call paths are warm. */
const WARMUP_DECIDES = 20;

const catalog = Array.from({ length: CATALOG_SIZE }, (_, i) => ({
  id: `item-${i}`,
  title: `Item ${i}`,
  tags: [TOPICS[i % TOPICS.length], TOPICS[(i * 7 + 3) % TOPICS.length]],
}));
const ids = catalog.map((item) => item.id);

let sdk;
let client;

async function loadSdk() {
  sdk ??= await import(SDK_URL);
  return sdk;
}

function createClient(personalization) {
  return sdk.createInsitu({
    catalog,
    consent: { kind: 'explicit', initial: { personalization, metrics: 'denied' } },
    autoCapture: false,
    decideTimeoutMs: BENCH_DECIDE_TIMEOUT_MS,
  });
}

function candidates(count, offset) {
  const start = offset % (CATALOG_SIZE - count + 1);
  return ids.slice(start, start + count);
}

/**
 * The i-th event of a synthetic stream: views with a click every tenth. The engine drops an event
 * that repeats another's type, item and placement within a second (double-bound handlers), so the
 * stream walks every item on each of PLACEMENTS placements before it repeats a shape: 60k events,
 * seconds apart even at the fastest ingest measured.
 */
const PLACEMENTS = 100;
function syntheticEvent(i) {
  return [i % 10 === 9 ? 'click' : 'view', { itemId: ids[i % CATALOG_SIZE], placement: `p-${Math.floor(i / CATALOG_SIZE) % PLACEMENTS}` }];
}

function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function startFloorWorker() {
  const worker = new Worker(FLOOR_WORKER_URL, { type: 'module' });
  const roundTrip = (message) =>
    new Promise((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage(message);
    });
  return { worker, roundTrip };
}

/** Delete the stored profile: a fresh visitor. Only on a page with no client open. */
async function wipe() {
  await new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase('insitu');
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error('insitu database is still open elsewhere'));
  });
}

/** createInsitu() to the first decision (the SDK module is loaded first: the cold start is the engine's). */
async function coldStart({ personalization = 'granted', fresh }) {
  if (fresh) await wipe();
  await loadSdk();
  const started = performance.now();
  client = createClient(personalization);
  const decision = await client.decide('home', { candidates: candidates(50, 0), timeoutMs: BENCH_DECIDE_TIMEOUT_MS });
  const ms = performance.now() - started;
  await client.ready;
  return { ms, policy: decision.policy, storedEvents: client.status.storedEvents ?? 0, worker: client.status.worker };
}

async function floorColdStart() {
  const started = performance.now();
  const { worker, roundTrip } = startFloorWorker();
  await roundTrip({ placement: 'home', candidates: candidates(50, 0) });
  const ms = performance.now() - started;
  worker.terminate();
  return { ms };
}

/** Start a client and wait until its engine runs. */
async function open({ personalization = 'granted', fresh = false } = {}) {
  if (fresh) await wipe();
  await loadSdk();
  client = createClient(personalization);
  await client.ready;
  return { worker: client.status.worker };
}

/** Per-call cost of track() in µs, one sample per batch (a single call is below the timer's resolution). */
async function trackCost({ calls, batch }) {
  const input = { itemId: 'item-1', placement: 'home' };
  const samples = [];
  for (let done = 0; done < calls; done += batch) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) client.track('view', input);
    samples.push(((performance.now() - started) * 1000) / batch);
    if ((done + batch) % FLUSH_EVERY_EVENTS === 0) await client.flush();
  }
  await client.flush();
  return samples;
}

async function trackFloor({ calls, batch }) {
  const input = { itemId: 'item-1', placement: 'home' };
  const samples = [];
  let sink = [];
  for (let done = 0; done < calls; done += batch) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) sink.push(input);
    samples.push(((performance.now() - started) * 1000) / batch);
    sink = [];
  }
  return samples;
}

/** decide() round trips in ms, sequential, after a warm-up. */
async function decideCost({ count, size }) {
  for (let i = 0; i < WARMUP_DECIDES; i++) await client.decide('home', { candidates: candidates(size, i) });
  const samples = [];
  let fallbacks = 0;
  for (let i = 0; i < count; i++) {
    const offered = candidates(size, i * 13);
    const started = performance.now();
    const decision = await client.decide('home', { candidates: offered });
    samples.push(performance.now() - started);
    if (decision.policy === 'fallback') fallbacks++;
  }
  return { samples, fallbacks };
}

/** The same request and a decision-sized answer through a bare worker. */
async function decideFloor({ count, size }) {
  const { worker, roundTrip } = startFloorWorker();
  for (let i = 0; i < WARMUP_DECIDES; i++) await roundTrip({ placement: 'home', candidates: candidates(size, i) });
  const samples = [];
  for (let i = 0; i < count; i++) {
    const offered = candidates(size, i * 13);
    const started = performance.now();
    await roundTrip({ placement: 'home', candidates: offered });
    samples.push(performance.now() - started);
  }
  worker.terminate();
  return { samples, fallbacks: 0 };
}

/** Ingest rates are also reported per window of this many events, to show a rate that drifts as the store fills. */
const INGEST_WINDOW_EVENTS = 10_000;

/** Events per second from track() until the engine reports them written (flush resolves after the store write). */
async function ingest({ events }) {
  const started = performance.now();
  const windows = [];
  let windowStarted = started;
  for (let i = 0; i < events; i++) {
    client.track(...syntheticEvent(i));
    if ((i + 1) % FLUSH_EVERY_EVENTS === 0) await client.flush();
    if ((i + 1) % INGEST_WINDOW_EVENTS === 0) {
      const now = performance.now();
      windows.push(INGEST_WINDOW_EVENTS / ((now - windowStarted) / 1000));
      windowStarted = now;
    }
  }
  await client.flush();
  const seconds = (performance.now() - started) / 1000;
  return { eventsPerSec: events / seconds, windows, storedEvents: client.status.storedEvents ?? 0 };
}

/**
 * The floor for ingest: the same events put straight into an IndexedDB object store, in
 * transactions of FLUSH_EVERY_EVENTS, with no SDK, validation, profile or retention.
 */
async function ingestFloor({ events }) {
  const name = 'insitu-bench-floor';
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => request.result.createObjectStore('events', { keyPath: 'id' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const started = performance.now();
  for (let done = 0; done < events; done += FLUSH_EVERY_EVENTS) {
    const tx = db.transaction('events', 'readwrite');
    const store = tx.objectStore('events');
    for (let i = done; i < Math.min(events, done + FLUSH_EVERY_EVENTS); i++) {
      const [type, input] = syntheticEvent(i);
      store.put({ id: `e-${i}`, type, ...input, ts: Date.now(), page: location.pathname });
    }
    await new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }
  const seconds = (performance.now() - started) / 1000;
  db.close();
  await new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
  return { eventsPerSec: events / seconds };
}

async function storageUsage() {
  return (await navigator.storage.estimate()).usage ?? 0;
}

async function exportBytes() {
  const data = await client.exportData();
  return { bytes: new TextEncoder().encode(JSON.stringify(data)).length, events: data.events.length };
}

/**
 * A scripted visit: start the SDK, then rounds of user activity (events, one decision) with the
 * page yielding between rounds, under PerformanceObserver('longtask'). Long-animation-frame
 * entries name the scripts behind each long task: the SDK's files live under /dist/, and this
 * file's only work in the session is calling the SDK, so both count as insitu's. `useSdk: false`
 * runs the same script against the floors, to show what the page itself costs.
 */
async function session({ events, decisions, useSdk }) {
  const longTasks = [];
  const frames = [];
  const taskObserver = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration }))));
  taskObserver.observe({ type: 'longtask' });
  const frameObserver = new PerformanceObserver((list) =>
    frames.push(...list.getEntries().map((e) => ({ start: e.startTime, end: e.startTime + e.duration, scripts: e.scripts.map((s) => s.sourceURL) }))),
  );
  frameObserver.observe({ type: 'long-animation-frame' });

  let track;
  let decide;
  let close;
  if (useSdk) {
    await loadSdk();
    const session = createClient('granted');
    track = (type, input) => session.track(type, input);
    decide = (offered) => session.decide('home', { candidates: offered });
    close = () => session.destroy();
  } else {
    const sink = [];
    const { worker, roundTrip } = startFloorWorker();
    track = (_type, input) => sink.push(input);
    decide = (offered) => roundTrip({ placement: 'home', candidates: offered });
    close = async () => worker.terminate();
  }
  const perRound = Math.ceil(events / decisions);
  for (let round = 0, tracked = 0; round < decisions; round++) {
    for (let i = 0; i < perRound && tracked < events; i++, tracked++) {
      track(...syntheticEvent(tracked));
    }
    await decide(candidates(50, round * 7));
    await nextTask();
  }
  await close();
  // Let deferred work (writes, retention, training) finish and the observers deliver.
  await new Promise((resolve) => setTimeout(resolve, 500));
  taskObserver.disconnect();
  frameObserver.disconnect();

  const sdkScript = (url) => url.includes('/dist/') || url.includes('/bench/bench.js');
  const attributed = longTasks.filter((task) =>
    frames.some((frame) => frame.start <= task.start + task.duration && frame.end >= task.start && frame.scripts.some(sdkScript)),
  );
  const sources = [...new Set(frames.flatMap((frame) => frame.scripts).map((url) => new URL(url, location.href).pathname))];
  return {
    total: longTasks.length,
    attributed: attributed.length,
    longestMs: Math.max(0, ...longTasks.map((task) => task.duration)),
    sources,
  };
}

window.bench = { wipe, coldStart, floorColdStart, open, trackCost, trackFloor, decideCost, decideFloor, ingest, ingestFloor, storageUsage, exportBytes, session };
window.benchReady = true;
