/**
 * An InsituClient whose decide() calls wait until the test settles them, and whose consent is a
 * plain observable value: enough to drive the hooks without a worker.
 */
import { InsituError } from '../../../worker/errors.js';
import { PENDING_CONSENT, type ConsentState, type Decision, type TrackInput, type EventType } from '../../../worker/types.js';
import type { ClientStatus, DecideOptions, InsituClient } from '../../../src/types.js';

export interface PendingDecide {
  placement: string;
  options: DecideOptions;
  resolve(itemId: string): Decision;
  reject(error: unknown): void;
}

export interface FakeClient extends InsituClient {
  readonly decideCalls: PendingDecide[];
  readonly tracked: Array<{ type: EventType; input: TrackInput | undefined }>;
  consentListeners(): number;
}

export function createFakeClient(initialConsent: ConsentState = PENDING_CONSENT): FakeClient {
  const decideCalls: PendingDecide[] = [];
  const tracked: FakeClient['tracked'] = [];
  let consent: ConsentState = { ...initialConsent };
  const listeners = new Set<(state: ConsentState) => void>();
  let sequence = 0;
  const status: ClientStatus = { worker: 'inline', queuedEvents: 0, globalPrivacyControl: 'absent' };

  return {
    ready: Promise.resolve(),
    decideCalls,
    tracked,
    consentListeners: () => listeners.size,
    track(type, input) {
      if (!/^[a-z0-9_.-]{1,64}$/.test(type)) return new InsituError('invalid_event_type', `bad type ${type}`);
      tracked.push({ type, input });
      return undefined;
    },
    consent: {
      // A fresh object on every call, as a real controller may return: the hook must cope.
      get: () => ({ ...consent }),
      async set(update) {
        consent = { ...consent, ...update };
        for (const listener of listeners) listener({ ...consent });
      },
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    decide(placement, options) {
      return new Promise<Decision>((resolvePromise, rejectPromise) => {
        decideCalls.push({
          placement,
          options,
          resolve(itemId) {
            const decision: Decision = {
              decisionId: `d${++sequence}`,
              placement,
              itemId,
              propensity: 1 / options.candidates.length,
              exploring: false,
              policy: 'personalized',
              reasons: ['test'],
              ts: 0,
            };
            resolvePromise(decision);
            return decision;
          },
          reject: rejectPromise,
        });
      });
    },
    reward: async () => undefined,
    explain: async () => undefined,
    mute: async () => undefined,
    unmute: async () => undefined,
    deliverReports: async () => ({ sent: 0, dropped: 0, retried: 0 }) as unknown as Awaited<ReturnType<InsituClient["deliverReports"]>>,
    exportData: async () => {
      throw new InsituError('worker_unavailable', 'not in the fake');
    },
    forget: async () => undefined,
    status,
    flush: async () => undefined,
    on: () => () => undefined,
    destroy: async () => undefined,
  };
}
