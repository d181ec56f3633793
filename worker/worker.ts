/**
 * The Web Worker entry: the engine behind comlink. A module worker served from the site's own
 * origin (no blob: URL) so pages with `worker-src 'self'` can run it.
 */
import { expose } from 'comlink';
import { createWorkerService } from './worker-service.js';

// comlink listens on the worker's own global scope only: a dedicated worker's scope receives
// messages from the page that created it and from no other origin or frame.
expose(createWorkerService(), self as unknown as Parameters<typeof expose>[1]);
