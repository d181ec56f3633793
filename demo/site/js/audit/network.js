// Network: every request insitu made to the collector (exportData().sent), with its full body.
// "Send report now" calls client.flush(), which delivers every report that is due.
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
      await ctx.client.flush();
      await ctx.refresh();
      const after = ctx.snapshot()?.sent.length ?? 0;
      const consent = ctx.snapshot()?.consent.metrics;
      ctx.say(
        after > before
          ? `Sent ${after - before} request${after - before === 1 ? '' : 's'}: see below.`
          : consent !== 'granted'
            ? 'Nothing sent: anonymous reports are not allowed.'
            : 'Nothing was due: a report is built when its day ends.',
      );
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
          h('dl', { class: 'facts facts--compact' }, h('dt', { text: 'URL' }), h('dd', { text: request.url }), h('dt', { text: 'Idempotency-Key' }), h('dd', { text: request.idempotencyKey })),
          json(body),
        );
      }),
    );
  }

  return { id: 'network', label: 'Sent home', element, update };
}
