/**
 * The script tag's runtime (`dist/insitu-runtime.js`), loaded by the tiny loader `insitu.js`
 * after the page has rendered: creates the client, replays the calls the stub queued (in order)
 * and applies declarative slots.
 */
import { createClient } from './client.js';
import { applySlots } from './slots.js';
import type { InsituClient, InsituOptions } from './types.js';

/** One queued call: method name, arguments, and the stub's promise callbacks. */
export type QueuedCall = [method: string, args: unknown[], resolve?: (value: unknown) => void, reject?: (error: unknown) => void];

export interface StubQueue extends Array<QueuedCall> {
  /** Set by the stub: it has been installed. */
  q?: number;
  /** Set by the stub: when it ran (ms since the epoch), the start of every slot's deadline. */
  t?: number;
  client?: InsituClient;
}

/** The worker file beside this module (a variable, not a literal: see src/index.ts). */
const WORKER_FILE = 'insitu-worker.js';

/** The methods the stub may queue, mapped onto the client. */
function call(client: InsituClient, method: string, args: unknown[]): unknown {
  switch (method) {
    case 'track':
      return client.track(args[0] as string, args[1] as never);
    case 'decide':
      return client.decide(args[0] as string, args[1] as never);
    case 'consent':
      return client.consent.set(args[0] as never);
    case 'reward':
      return client.reward(args[0] as string, args[1] as number | undefined);
    case 'explain':
      return client.explain(args[0] as string);
    case 'mute':
      return client.mute(args[0] as string);
    case 'unmute':
      return client.unmute(args[0] as string);
    case 'exportData':
      return client.exportData();
    case 'deliverReports':
      return client.deliverReports();
    case 'forget':
      return client.forget();
    case 'flush':
      return client.flush();
    default:
      throw new TypeError(`insitu: unknown method "${method}"`);
  }
}

export function start(queue: StubQueue, options: InsituOptions, startedAt: number): InsituClient {
  const client = createClient(options, {
    loadInline: () => import('../worker/worker-service.js'),
    defaultWorkerUrl: () => new URL(WORKER_FILE, import.meta.url),
  });
  const run = ([method, args, resolve, reject]: QueuedCall) => {
    try {
      Promise.resolve(call(client, method, args)).then(resolve, reject);
    } catch (error) {
      reject?.(error);
    }
  };
  const pending = queue.splice(0);
  // Like analytics.js: from now on a push runs the call at once.
  queue.push = (...entries: QueuedCall[]) => {
    for (const entry of entries) run(entry);
    return 0;
  };
  queue.client = client;
  for (const entry of pending) run(entry);
  void applySlots(client, document, startedAt);
  return client;
}
