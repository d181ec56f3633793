/**
 * The script-tag entry (`dist/insitu.js`, an IIFE). Reads its configuration from `data-`
 * attributes, replays calls queued by the stub snippet in order, and applies declarative slots.
 *
 *   <script>/* the stub from the README *\/</script>
 *   <script src="/insitu.js" data-catalog="/catalog.json" data-consent="pending"
 *           data-collector="/v1/metrics" async></script>
 */
import { createClient } from './client.js';
import type { InlineServiceModule } from './worker-client.js';
import { applySlots } from './slots.js';
import type { InsituClient, InsituOptions } from './types.js';
import type { ConsentValue } from '../worker/types.js';

/** One queued call: method name, arguments, and the stub's promise callbacks. */
type QueuedCall = [method: string, args: unknown[], resolve?: (value: unknown) => void, reject?: (error: unknown) => void];

interface StubQueue extends Array<QueuedCall> {
  /** Set by the stub: it has been installed. */
  q?: number;
  /** Set by the stub: when it ran (ms since the epoch), the start of every slot's deadline. */
  t?: number;
}

const CONSENT_VALUES: readonly string[] = ['granted', 'denied', 'pending'];

function findOwnScript(): HTMLScriptElement | null {
  // `currentScript` is null for async scripts once they run from the queue in some engines;
  // the data attribute is the fallback.
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  return document.querySelector('script[data-catalog], script[src*="insitu"]');
}

function optionsFrom(script: HTMLScriptElement | null): InsituOptions {
  const data = script?.dataset ?? {};
  const base = script?.src ? new URL('.', script.src) : new URL('.', location.href);
  const consent = data.consent ?? 'pending';
  const initial = CONSENT_VALUES.includes(consent) ? { personalization: consent as ConsentValue } : undefined;
  return {
    ...(data.catalog ? { catalog: data.catalog } : {}),
    ...(data.priors ? { priors: data.priors } : {}),
    ...(data.collector ? { collectorUrl: data.collector } : {}),
    consent: consent === 'tcf' ? { kind: 'tcf' } : { kind: 'explicit', ...(initial ? { initial } : {}) },
    globalPrivacyControl: data.gpc === 'override' ? 'override' : 'respect',
    autoCapture: data.autocapture !== 'off',
    workerUrl: new URL('insitu-worker.js', base),
    inlineServiceUrl: new URL('insitu-inline.js', base),
  };
}

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
    case 'forget':
      return client.forget();
    case 'flush':
      return client.flush();
    default:
      throw new TypeError(`insitu: unknown method "${method}"`);
  }
}

const METHODS = ['track', 'decide', 'consent', 'reward', 'explain', 'mute', 'unmute', 'exportData', 'forget', 'flush'] as const;

function start(): void {
  const global = window as unknown as { insitu?: unknown };
  const existing = global.insitu;
  if (existing !== undefined && !Array.isArray(existing)) return; // a second copy of this file: keep the first
  const queue = (Array.isArray(existing) ? existing : []) as StubQueue & Record<string, unknown>;
  if (queue.client) return; // already started
  const startedAt = queue.t ?? Date.now();
  const options = optionsFrom(findOwnScript());
  // An IIFE cannot split code: the inline engine is a separate file beside this one, loaded only when no worker can run.
  const inlineUrl = String(options.inlineServiceUrl);
  const client = createClient(options, {
    loadInline: () => import(/* @vite-ignore */ inlineUrl) as Promise<InlineServiceModule>,
    defaultWorkerUrl: () => options.workerUrl,
  });

  const run = ([method, args, resolve, reject]: QueuedCall) => {
    try {
      Promise.resolve(call(client, method, args)).then(resolve, reject);
    } catch (error) {
      reject?.(error);
    }
  };
  // Like analytics.js: the stub's methods push onto this array; from now on a push runs the call.
  // Without the stub, install the same methods so `insitu.track(...)` works either way.
  for (const method of METHODS) {
    if (typeof queue[method] !== 'function') {
      queue[method] = (...args: unknown[]) => new Promise((resolve, reject) => queue.push([method, args, resolve, reject]));
    }
  }
  const pending = queue.splice(0);
  queue.push = (...entries: QueuedCall[]) => {
    for (const entry of entries) run(entry);
    return 0;
  };
  queue.client = client;
  global.insitu = queue;
  for (const entry of pending) run(entry);

  void applySlots(client, document, startedAt);
}

start();
