/**
 * The script-tag loader (`dist/insitu.js`, a small IIFE). It never blocks rendering: it reads its
 * configuration from `data-` attributes, makes `window.insitu` a queue (like analytics.js, so calls
 * made before the SDK runs are kept), reveals declarative slots at their deadline whatever happens,
 * and then imports the runtime (`insitu-runtime.js`, same origin) that does the work.
 *
 *   <script src="/insitu.js" data-catalog="/catalog.json" data-consent="pending"
 *           data-collector="/v1/metrics" async></script>
 */
import type { InsituOptions } from './types.js';
import type { ConsentValue } from '../worker/types.js';
import type { StubQueue } from './script-runtime.js';
import { READY_ATTRIBUTE, slotWaitMs } from './slots.js';

const METHODS = ['track', 'decide', 'consent', 'reward', 'explain', 'mute', 'unmute', 'exportData', 'deliverReports', 'forget', 'flush'] as const;
const CONSENT_VALUES: readonly string[] = ['granted', 'denied', 'pending'];

function findOwnScript(): HTMLScriptElement | null {
  // `currentScript` is only set while a classic script first runs; the selector is the fallback.
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement) return current;
  return document.querySelector('script[data-catalog], script[src*="insitu"]');
}

function optionsFrom(script: HTMLScriptElement | null): InsituOptions {
  const data = script?.dataset ?? {};
  const consent = data.consent ?? 'pending';
  const value = CONSENT_VALUES.includes(consent) ? (consent as ConsentValue) : undefined;
  return {
    ...(data.catalog ? { catalog: data.catalog } : {}),
    ...(data.priors ? { priors: data.priors } : {}),
    ...(data.rules ? { rules: data.rules } : {}),
    ...(data.collector ? { collectorUrl: data.collector } : {}),
    consent: consent === 'tcf' ? { kind: 'tcf' } : { kind: 'explicit', ...(value ? { initial: { personalization: value } } : {}) },
    globalPrivacyControl: data.gpc === 'override' ? 'override' : 'respect',
    autoCapture: data.autocapture !== 'off',
  };
}

/** Reveal every slot still hidden at its deadline, even if the runtime never loads: a slot is never left hidden. */
function revealSlotsAt(startedAt: number): void {
  const slots = document.querySelectorAll<HTMLElement>('[data-insitu-slot]:not([data-insitu-ready])');
  for (const slot of slots) {
    setTimeout(() => slot.setAttribute(READY_ATTRIBUTE, ''), slotWaitMs(slot, startedAt));
  }
}

function load(): void {
  const global = window as unknown as { insitu?: unknown };
  const existing = global.insitu;
  if (existing !== undefined && !Array.isArray(existing)) return; // a second copy of this file: keep the first
  const queue = (Array.isArray(existing) ? existing : []) as StubQueue & Record<string, unknown>;
  if (queue.client) return;
  const startedAt = queue.t ?? Date.now();
  for (const method of METHODS) {
    if (typeof queue[method] !== 'function') {
      queue[method] = (...args: unknown[]) => new Promise((resolve, reject) => queue.push([method, args, resolve, reject]));
    }
  }
  global.insitu = queue;
  const script = findOwnScript();
  const options = optionsFrom(script);
  const runtimeUrl = new URL('insitu-runtime.js', script?.src || location.href).href;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => revealSlotsAt(startedAt), { once: true });
  else revealSlotsAt(startedAt);
  import(/* @vite-ignore */ runtimeUrl).then(
    (runtime: typeof import('./script-runtime.js')) => runtime.start(queue, options, startedAt),
    (error: unknown) => console.warn('insitu: the runtime could not load; the page keeps its defaults', error),
  );
}

load();
