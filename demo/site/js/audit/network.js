// Network: every request insitu made to the collector (exportData().sent), with its full body.
// "Send report now" calls client.deliverReports(): due periods become reports, and the outbox is sent.
import { h, replace, when } from '../dom.js';
import { json } from './storage.js';

export function createNetwork(ctx) {
  const list = h('div', { class: 'requests', id: 'audit-requests' });
  const send = h('button', { type: 'button', class: 'button', id: 'audit-send-now', text: 'Send report now', onclick: () => sendNow() });
  const element = h(
    'div',
    {},
    h('p', {
      class: 'muted',
      text: 'Every request insitu made from this browser, with everything it carried. Reports are built once a day, only if you allowed anonymous reports, and carry no identifier, no list of books and no timestamps finer than the day.',
    }),
    h('div', { class: 'toolbar' }, send, h('span', { class: 'muted', text: 'Delivers any report whose day has ended (and retries failed ones).' })),
    list,
  );

  async function sendNow() {
    send.disabled = true;
    const before = ctx.snapshot()?.sent.length ?? 0;
    try {
      const result = await ctx.client.deliverReports();
      await ctx.refresh();
      // The panel's own refresh (exportData flushes, and a flush delivers what is due) may have
      // sent the report a moment before this call: say what the list now shows.
      const sentSince = (ctx.snapshot()?.sent.length ?? 0) - before;
      ctx.say(result.outcomes.length || sentSince <= 0 ? deliveryWords(result) : `Sent ${deliverySentence(sentSince, 'report')}: see below.`);
    } catch (error) {
      ctx.say(`Could not send: ${error?.message ?? error}`);
    } finally {
      send.disabled = false;
    }
  }

  function update(snapshot) {
    if (!snapshot.sent.length) {
      replace(list, h('p', { class: 'empty empty--strong', 'data-no-requests': '', text: 'No request has been sent.' }));
      return;
    }
    replace(
      list,
      h('p', { class: 'muted', text: `${snapshot.sent.length} request${snapshot.sent.length === 1 ? '' : 's'}, newest first.` }),
      [...snapshot.sent].reverse().map((request) => {
        let body = request.body;
        try {
          body = JSON.parse(request.body);
        } catch {
          // Shown as sent.
        }
        return h(
          'details',
          { class: 'request', 'data-idempotency-key': request.idempotencyKey },
          h(
            'summary',
            { class: 'request__summary' },
            h('span', { class: 'request__method', text: 'POST' }),
            h('span', { class: 'request__url', text: new URL(request.url, location.href).pathname }),
            h('span', { class: `pill pill--status-${String(request.status).charAt(0)}`, text: request.status ? String(request.status) : 'no answer' }),
            h('span', { class: 'request__size', text: `${new Blob([request.body]).size.toLocaleString()} bytes` }),
            h('span', { class: 'request__when', text: when(request.at) }),
          ),
          h(
            'dl',
            { class: 'facts facts--compact' },
            h('dt', { text: 'URL' }),
            h('dd', { text: request.url }),
            h('dt', { text: 'Idempotency-Key' }),
            h('dd', { text: request.idempotencyKey }),
            reportFacts(body).map(([term, value]) => [h('dt', { text: term }), h('dd', { text: value })]),
          ),
          h('h4', { class: 'decision__subheading', text: 'The full body, exactly as sent' }),
          json(body, { maxChars: Infinity }),
        );
      }),
    );
  }

  return { id: 'network', label: 'Sent home', element, update };
}

/** What deliverReports() did, in words. */
function deliverySentence(count, noun) {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function deliveryWords(result) {
  if (result.withheld === 'consent_pending' || result.withheld === 'consent_denied') return 'Nothing sent: anonymous reports are not allowed.';
  if (result.withheld === 'no_url') return 'Nothing sent: this site has no collector.';
  if (!result.outcomes.length) return 'Nothing was due: a report is built when its day ends.';
  const sent = result.outcomes.filter((o) => o.outcome === 'sent');
  const retry = result.outcomes.filter((o) => o.outcome === 'retry');
  const dropped = result.outcomes.filter((o) => o.outcome === 'dropped');
  return [
    sent.length ? `Sent ${deliverySentence(sent.length, 'report')} (answered ${sent.map((o) => o.status).join(', ')}).` : '',
    retry.length ? `${deliverySentence(retry.length, 'report')} will be retried.` : '',
    dropped.length ? `${deliverySentence(dropped.length, 'report')} dropped (${dropped.map((o) => o.reason).join(', ')}).` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Labels for the report's resource attributes (worker/report/otlp.ts). */
const REPORT_ATTRIBUTES = {
  'insitu.report.id': 'Report id (random)',
  'insitu.schema_version': 'Schema version',
  'insitu.group': 'Group',
  'insitu.mechanism': 'Privacy mechanism',
  'insitu.epsilon': 'ε of this report',
};

/** The facts a reviewer wants first, read from the OTLP body: who (nobody), what, how private. */
function reportFacts(body) {
  const resource = body?.resourceMetrics?.[0];
  if (!resource) return [];
  const value = (v) => v?.stringValue ?? v?.intValue ?? v?.doubleValue ?? v?.boolValue;
  const facts = [];
  // Identity-free facts sit on the resource; the privacy mechanism and ε on the scope.
  const attributes = [...(resource.resource?.attributes ?? []), ...(resource.scopeMetrics ?? []).flatMap((scope) => scope.scope?.attributes ?? [])];
  for (const key of Object.keys(REPORT_ATTRIBUTES)) {
    const attribute = attributes.find((a) => a.key === key);
    if (attribute) facts.push([REPORT_ATTRIBUTES[key], String(value(attribute.value))]);
  }
  const metrics = (resource.scopeMetrics ?? []).flatMap((scope) => scope.metrics ?? []);
  const points = (metric) => (metric.sum ?? metric.gauge ?? metric.histogram)?.dataPoints ?? [];
  const first = metrics.map(points).find((list) => list.length)?.[0];
  if (first?.startTimeUnixNano && first?.timeUnixNano) {
    const day = (nanos) => new Date(Number(BigInt(nanos) / 1_000_000n)).toISOString().slice(0, 16).replace('T', ' ');
    facts.push(['Period', `${day(first.startTimeUnixNano)} to ${day(first.timeUnixNano)} UTC`]);
  }
  if (metrics.length) facts.push(['Contents', metrics.map((metric) => `${metric.name} (${points(metric).length})`).join(', ')]);
  return facts;
}
