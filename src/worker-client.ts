/**
 * Starts the engine for the page: in a same-origin module worker behind comlink when it can, else
 * inline on the main thread. A worker that fails to start (404, CSP, a throw at load) is tried
 * once more, then the engine runs inline. A worker that stops answering later is found out and
 * replaced by the supervisor (engine-supervisor.ts), with the starts it has left.
 */
import { wrap, releaseProxy, type Remote } from 'comlink';
import { InsituError } from '../worker/errors.js';
import type { EngineStatus } from '../worker/engine-types.js';
import type { WorkerApi, WorkerInitConfig } from '../worker/worker-api.js';
import type { WorkerState } from './types.js';

/** A module worker answers its first call in ~9 ms here; slow phones and cold caches take far longer. Past this it is presumed dead. */
export const WORKER_START_TIMEOUT_MS = 8_000;
/** Attempts at a worker before running inline: the first, and one restart. */
export const WORKER_ATTEMPTS = 2;

export interface InlineServiceModule {
  createWorkerService(): WorkerApi;
}

export interface ConnectOptions {
  workerUrl: string | URL | undefined;
  loadInline: () => Promise<InlineServiceModule>;
  init: WorkerInitConfig;
  /** Worker starts to try before running inline (default WORKER_ATTEMPTS); 0 goes inline at once. */
  workerAttempts?: number;
  /** The worker errored after it was running (uncaught error, failed message). */
  onWorkerError?: (error: InsituError) => void;
}

export interface EngineConnection {
  api: WorkerApi;
  state: Extract<WorkerState, 'running' | 'inline'>;
  /** What went wrong on the way (a worker that could not start), for status and onError. */
  problems: InsituError[];
  /** Worker starts this connection used (failed ones included). */
  workerStarts: number;
  /** The engine's status as init() answered it, when init succeeded: one round trip fewer before the first decision. */
  initialStatus: EngineStatus | undefined;
  terminate(): void;
}

interface TrustedTypesLike {
  createPolicy(name: string, rules: { createScriptURL(input: string): string }): { createScriptURL(input: string): unknown };
}
let workerUrlPolicy: { createScriptURL(input: string): unknown } | undefined;

/**
 * Under `require-trusted-types-for 'script'` the Worker constructor takes only a TrustedScriptURL.
 * The policy (named `insitu`; list it in a `trusted-types` directive if the site restricts names)
 * admits same-origin URLs only, which is also what `worker-src 'self'` allows.
 */
function workerScriptUrl(url: string | URL): string | URL {
  const href = new URL(String(url), location.href);
  if (href.origin !== location.origin) throw new InsituError('worker_unavailable', `the worker must be same-origin, not ${href.origin}`);
  const trustedTypes = (globalThis as { trustedTypes?: TrustedTypesLike }).trustedTypes;
  if (!trustedTypes) return href;
  workerUrlPolicy ??= trustedTypes.createPolicy('insitu', { createScriptURL: (input) => input });
  return workerUrlPolicy.createScriptURL(href.href) as string;
}

function settleWithin<T>(promise: Promise<T>, ms: number, code: InsituError['code'], what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new InsituError(code, `${what} did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error)),
    );
  });
}

async function startWorker(options: ConnectOptions): Promise<EngineConnection> {
  if (typeof Worker === 'undefined') throw new InsituError('worker_unavailable', 'this page has no Worker');
  if (!options.workerUrl) throw new InsituError('worker_unavailable', 'no workerUrl');
  const worker = new Worker(workerScriptUrl(options.workerUrl), { type: 'module', name: 'insitu' });
  const remote: Remote<WorkerApi> = wrap<WorkerApi>(worker);
  const terminate = () => {
    remote[releaseProxy]();
    worker.terminate();
  };
  // A 404, a CSP refusal or a throw while the module loads arrives as an `error` event, not as a
  // rejected call: the call would wait forever, so the event must race it.
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => {
      event.preventDefault?.();
      reject(new InsituError('worker_unavailable', `worker failed to start: ${event.message || 'load error'}`));
    }, { once: true });
  });
  let initialStatus: EngineStatus | undefined;
  try {
    const result = await settleWithin(Promise.race([remote.init(options.init), failed]), WORKER_START_TIMEOUT_MS, 'worker_unavailable', 'worker');
    if (!result.ok && result.error.code === 'worker_unavailable') throw new InsituError('worker_unavailable', result.error.message);
    if (result.ok) initialStatus = result.value;
  } catch (error) {
    terminate();
    throw error;
  }
  worker.addEventListener('error', (event) => {
    event.preventDefault?.();
    options.onWorkerError?.(new InsituError('worker_unavailable', `worker error: ${event.message}`));
  });
  worker.addEventListener('messageerror', () => options.onWorkerError?.(new InsituError('worker_unavailable', 'a message could not be read')));
  return { api: remote as unknown as WorkerApi, state: 'running', problems: [], workerStarts: 1, initialStatus, terminate };
}

async function startInline(options: ConnectOptions): Promise<EngineConnection> {
  const { createWorkerService } = await options.loadInline();
  const api = createWorkerService();
  const result = await api.init(options.init);
  return { api, state: 'inline', problems: [], workerStarts: 0, initialStatus: result.ok ? result.value : undefined, terminate: () => void api.close() };
}

/** Worker first (with one restart), inline after. Rejects only when even the inline engine cannot load. */
export async function connectEngine(options: ConnectOptions): Promise<EngineConnection> {
  const problems: InsituError[] = [];
  const attempts = typeof Worker === 'undefined' || !options.workerUrl ? 0 : (options.workerAttempts ?? WORKER_ATTEMPTS);
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      const connection = await startWorker(options);
      connection.problems = problems;
      connection.workerStarts = attempt + 1;
      return connection;
    } catch (error) {
      problems.push(error instanceof InsituError ? error : new InsituError('worker_unavailable', String(error)));
    }
  }
  const connection = await startInline(options);
  connection.problems = problems;
  connection.workerStarts = attempts;
  return connection;
}
