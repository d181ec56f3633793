/**
 * The engine's side of sending home: closes due periods into noised reports, keeps them in the
 * outbox, and delivers them only while `metrics` is granted. Each attempt is logged with its full
 * body so the person can see every byte that left (exportData().sent).
 */
import { deliver, enqueue, withdraw, type DeliveryResult, type Outbox } from './report/delivery.js';
import type { Reporter } from './report/index.js';
import type { SentReport, Transport } from './engine-types.js';
import type { Clock, ConsentState, RandomSource } from './types.js';

/** The audit trail keeps this many attempts: a few weeks of daily reports with their retries. */
export const MAX_SENT_LOG = 100;

export interface ReportLoopOptions {
  reporter: Reporter;
  transport: Transport | undefined;
  url: string | undefined;
  clock: Clock;
  random: RandomSource;
  outbox: () => Outbox;
  consent: () => ConsentState;
  /** Called after anything changed that must be persisted (reporter state, ledger, sent log). */
  onChange: () => void;
}

export interface ReportLoop {
  /** Close due periods and deliver what is due now. */
  run(): Promise<DeliveryResult>;
  /** Metrics withdrawn: empty the outbox and drop what was being counted. */
  withdraw(): Promise<void>;
  sent(): SentReport[];
  restoreSent(log: unknown): void;
}

export function createReportLoop(options: ReportLoopOptions): ReportLoop {
  let sentLog: SentReport[] = [];
  let running: Promise<DeliveryResult> | undefined;

  const loggingTransport: Transport | undefined = options.transport && {
    async send(url, body, sendOptions) {
      const entry: SentReport = { url, body, status: 0, at: options.clock.now(), idempotencyKey: sendOptions.idempotencyKey };
      sentLog.push(entry);
      if (sentLog.length > MAX_SENT_LOG) sentLog = sentLog.slice(-MAX_SENT_LOG);
      try {
        const result = await options.transport!.send(url, body, sendOptions);
        entry.status = result.status;
        return result;
      } finally {
        options.onChange();
      }
    },
  };

  async function runOnce(): Promise<DeliveryResult> {
    const consent = options.consent();
    const now = options.clock.now();
    const built = options.reporter.buildDueReports(now, consent);
    if (built.length) {
      await enqueue(options.outbox(), built);
      // Persist ledger and outbox before sending: a crash must not let this device spend ε twice.
      options.onChange();
    }
    if (!loggingTransport || !options.url) return { withheld: 'no_url', outcomes: [] };
    return deliver(options.outbox(), loggingTransport, consent, now, { url: options.url, random: options.random });
  }

  return {
    run() {
      running ??= runOnce().finally(() => (running = undefined));
      return running;
    },
    async withdraw() {
      options.reporter.setConsent(options.consent());
      await withdraw(options.outbox());
      options.onChange();
    },
    sent: () => sentLog.map((entry) => ({ ...entry })),
    restoreSent(log) {
      if (!Array.isArray(log)) return;
      sentLog = log
        .filter((e): e is SentReport => typeof e === 'object' && e !== null && typeof (e as SentReport).body === 'string' && typeof (e as SentReport).url === 'string')
        .slice(-MAX_SENT_LOG);
    },
  };
}
