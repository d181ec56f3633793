/**
 * `insitu`: the npm entry for SPAs. The engine runs in a same-origin module worker
 * (`insitu-worker.js`, beside this file in dist/); where no worker can run it loads inline.
 */
import { createClient } from './client.js';
import type { InsituClient, InsituOptions } from './types.js';

/**
 * The worker file's name beside this module. Held in a variable on purpose: bundlers rewrite a
 * literal `new URL('…', import.meta.url)` into an inlined data: or blob: URL, which a page with
 * `worker-src 'self'` refuses.
 */
const WORKER_FILE = 'insitu-worker.js';

export function createInsitu(options: InsituOptions = {}): InsituClient {
  return createClient(options, {
    loadInline: () => import('../worker/worker-service.js'),
    defaultWorkerUrl: () => new URL(WORKER_FILE, import.meta.url),
  });
}

export { InsituError, ERROR_CODES, type ErrorCode } from '../worker/errors.js';
export type * from './types.js';
export type {
  CatalogItem,
  ConsentState,
  ConsentValue,
  Decision,
  DecisionPolicy,
  EventType,
  InsituEvent,
  Priors,
  Purpose,
  TrackInput,
} from '../worker/types.js';
export type { EngineExport, EngineStatus, Explanation, Affinity } from '../worker/engine-types.js';
