// The consent banner: shown until the visitor chooses, before anything is stored. Boxes start
// unticked; "Reject all" is as easy as "Accept all". With Global Privacy Control on, reports stay off.
import { h } from './dom.js';
import { choose, gpcEnabled, savedChoice } from './consent-choice.js';

const PURPOSES = [
  {
    purpose: 'personalization',
    label: 'Personalize this shop',
    detail: 'Keep what you look at in this browser, and learn from it to pick books for you. It never leaves this device.',
  },
  {
    purpose: 'metrics',
    label: 'Send anonymous reports',
    detail: 'Once a day, send counts with added noise (no identifiers, no list of books) so we can tell whether the picks help.',
  },
  {
    purpose: 'sensitive',
    label: 'Include sensitive topics',
    detail: 'Let books about health, religion or sexuality shape your picks. Without this they teach nothing.',
  },
];

/** Shows the banner unless a choice was saved; resolves when the visitor has chosen. */
export function mountConsentBanner(client) {
  if (savedChoice()) return;
  const gpc = gpcEnabled();
  const boxes = new Map();
  const list = h(
    'ul',
    { class: 'consent__purposes' },
    PURPOSES.map(({ purpose, label, detail }) => {
      const id = `consent-${purpose}`;
      const locked = purpose === 'metrics' && gpc;
      const box = h('input', { type: 'checkbox', id, name: purpose, disabled: locked, 'aria-describedby': `${id}-detail` });
      boxes.set(purpose, box);
      return h(
        'li',
        { class: 'consent__purpose' },
        box,
        h('label', { for: id, text: label }),
        h('p', { id: `${id}-detail`, class: 'consent__detail', text: locked ? 'Off: your browser sends Global Privacy Control, and we respect it.' : detail }),
      );
    }),
  );

  const finish = async (choice) => {
    banner.remove();
    await choose(client, choice);
  };
  const all = (value) => Object.fromEntries(PURPOSES.map(({ purpose }) => [purpose, value]));
  const banner = h(
    'section',
    { class: 'consent', role: 'region', 'aria-labelledby': 'consent-title' },
    h(
      'div',
      { class: 'consent__inner' },
      h('h2', { id: 'consent-title', class: 'consent__title', text: 'Your reading stays with you' }),
      h('p', {
        class: 'consent__lead',
        text: 'Quire picks books for you on this device, with insitu. Nothing is stored or sent until you choose. You can change your mind at any time in “What this site knows”.',
      }),
      list,
      h(
        'div',
        { class: 'consent__actions' },
        h('button', { type: 'button', class: 'button button--primary', 'data-consent-action': 'accept', onclick: () => finish(all('granted')), text: 'Accept all' }),
        h('button', { type: 'button', class: 'button', 'data-consent-action': 'reject', onclick: () => finish(all('denied')), text: 'Reject all' }),
        h('button', {
          type: 'button',
          class: 'button',
          'data-consent-action': 'save',
          onclick: () => finish(Object.fromEntries([...boxes].map(([purpose, box]) => [purpose, box.checked ? 'granted' : 'denied']))),
          text: 'Save my choices',
        }),
      ),
    ),
  );
  document.body.append(banner);
}
