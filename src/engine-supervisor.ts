/**
 * Keeps the page's engine alive. The browser may terminate a worker (memory pressure, a crash) or
 * it may close or wedge itself, and nothing tells the page: its calls simply never answer. So a
 * call still waiting after PROBE_AFTER_MS, a decision that missed its deadline, or an error event
 * from the worker prompts a liveness probe (a `status()` call, answered in well under a ms by a
 * live worker); a worker silent for LIVENESS_TIMEOUT_MS is presumed dead, terminated and replaced:
 * by a new worker while restarts remain (WORKER_ATTEMPTS starts in all), then by the inline engine.
 * Calls caught on the dead worker run once more on its replacement: every WorkerApi call is safe to
 * repeat (events are idempotent by id, consent and flush are idempotent, a reward the old engine
 * took is unknown to the new one).
 */
import { InsituError } from '../worker/errors.js';
import type { EngineStatus } from '../worker/engine-types.js';
import type { WorkerApi, WorkerInitConfig } from '../worker/worker-api.js';
import type { WorkerState } from './types.js';
import { connectEngine, WORKER_ATTEMPTS, type EngineConnection, type InlineServiceModule } from './worker-client.js';

/** A healthy call answers in under a millisecond (tens of ms for a full export); one still waiting after this gets a probe. */
export const PROBE_AFTER_MS = 1_000;
/**
 * Silence for this long means the worker is gone or wedged. Its longest synchronous task (a
 * training step) takes tens of ms and storage waits are asynchronous, so a live worker's event
 * loop answers a probe long before this, even on a slow phone.
 */
export const LIVENESS_TIMEOUT_MS = 3_000;
/** Calls other than decide() that take longer than this are given up on, whatever the probe said. */
export const CALL_TIMEOUT_MS = 10_000;

export interface SupervisorOptions {
  workerUrl: string | URL | undefined;
  loadInline: () => Promise<InlineServiceModule>;
  /** Read at each start, so a restarted engine gets the consent in effect now. */
  init: () => WorkerInitConfig;
  onProblem: (error: InsituError) => void;
  onState: (state: WorkerState) => void;
}

export interface EngineSupervisor {
  readonly state: WorkerState;
  /** The running engine's API, once the first start (or a restart in progress) is done. Rejects when no engine could start. */
  api(): Promise<WorkerApi>;
  /** The status the running engine answered its init() with (undefined when init failed). */
  initialStatus(): Promise<EngineStatus | undefined>;
  /** Run a call with the deadline and the probe; if the worker dies meanwhile, once more on its replacement. */
  call<T>(run: (api: WorkerApi) => Promise<T>): Promise<T>;
  /** Something looked wrong (a missed deadline): probe the worker, replace it if silent. Never rejects. */
  check(): void;
  terminate(): void;
}

/** A call was waiting on a worker that has been replaced: retry it on the replacement. */
class WorkerLost extends Error {}

interface Live {
  connection: EngineConnection;
  /** Rejecters of calls waiting on this connection, so its death settles them at once. */
  waiting: Set<(error: WorkerLost) => void>;
  probing: boolean;
}

export function superviseEngine(options: SupervisorOptions): EngineSupervisor {
  let state: WorkerState = 'starting';
  let workerStartsLeft = WORKER_ATTEMPTS;
  let live: Live | undefined;
  let terminated = false;
  let connecting: Promise<Live> = start();
  connecting.catch(() => undefined);

  function setState(next: WorkerState): void {
    if (next === state) return;
    state = next;
    options.onState(next);
  }

  function start(): Promise<Live> {
    const attempts = workerStartsLeft;
    return connectEngine({
      workerUrl: options.workerUrl,
      workerAttempts: attempts,
      loadInline: options.loadInline,
      init: options.init(),
      onWorkerError: (error) => {
        options.onProblem(error);
        check();
      },
    }).then(
      (connection) => {
        workerStartsLeft -= connection.workerStarts;
        for (const problem of connection.problems) options.onProblem(problem);
        const next: Live = { connection, waiting: new Set(), probing: false };
        if (terminated) connection.terminate();
        live = next;
        setState(connection.state);
        return next;
      },
      (error: unknown) => {
        setState('failed');
        throw error instanceof InsituError ? error : new InsituError('worker_unavailable', String(error));
      },
    );
  }

  function replace(dead: Live): void {
    if (dead !== live || terminated) return;
    live = undefined;
    dead.connection.terminate();
    for (const reject of dead.waiting) reject(new WorkerLost());
    dead.waiting.clear();
    options.onProblem(new InsituError('worker_unavailable', `the worker did not answer within ${LIVENESS_TIMEOUT_MS} ms; starting another engine`));
    setState('restarting');
    connecting = start();
    connecting.catch(() => undefined);
  }

  function check(target: Live | undefined = live): void {
    if (!target || target !== live || target.connection.state !== 'running' || target.probing) return;
    target.probing = true;
    const timer = setTimeout(() => {
      target.probing = false;
      replace(target);
    }, LIVENESS_TIMEOUT_MS);
    // Any answer, even an error, proves the worker's event loop is running.
    const answered = () => {
      clearTimeout(timer);
      target.probing = false;
    };
    target.connection.api.status().then(answered, answered);
  }

  function watch<T>(target: Live, promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const probe = setTimeout(() => check(target), PROBE_AFTER_MS);
      const cap = setTimeout(() => settle(() => reject(new InsituError('worker_unavailable', `the engine did not answer within ${CALL_TIMEOUT_MS} ms`))), CALL_TIMEOUT_MS);
      const lost = (error: WorkerLost) => settle(() => reject(error));
      target.waiting.add(lost);
      function settle(finish: () => void): void {
        clearTimeout(probe);
        clearTimeout(cap);
        target.waiting.delete(lost);
        finish();
      }
      promise.then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => settle(() => reject(error)),
      );
    });
  }

  /** The live engine, waiting out a restart (even one that begins while we wait). */
  async function current(): Promise<Live> {
    for (;;) {
      const target = await connecting;
      if (target === live || terminated) return target;
    }
  }

  async function call<T>(run: (api: WorkerApi) => Promise<T>, retried = false): Promise<T> {
    const target = await current();
    try {
      return await watch(target, run(target.connection.api));
    } catch (error) {
      if (!(error instanceof WorkerLost)) throw error;
      if (!retried) return call(run, true);
      throw new InsituError('worker_unavailable', 'the engine stopped answering twice during one call');
    }
  }

  return {
    get state() {
      return state;
    },
    api: () => current().then((target) => target.connection.api),
    initialStatus: () => current().then((target) => target.connection.initialStatus),
    call: (run) => call(run),
    check: () => check(),
    terminate() {
      terminated = true;
      live?.connection.terminate();
    },
  };
}
