// Export (download everything as JSON) and Forget (erase everything, in two steps so a slip of the
// finger erases nothing).
import { h } from '../dom.js';

/** How long the "confirm" step waits before reverting. */
const CONFIRM_WINDOW_MS = 6000;

export function createActions(ctx) {
  const exportButton = h('button', { type: 'button', class: 'button', id: 'audit-export', text: 'Export my data', onclick: () => exportData() });
  const forgetButton = h('button', { type: 'button', class: 'button button--danger', id: 'audit-forget', text: 'Forget everything', onclick: () => forget() });
  let confirmTimer;

  async function exportData() {
    const snapshot = await ctx.client.exportData();
    const exported = { exportedAt: new Date().toISOString(), site: location.origin, ...snapshot };
    const url = URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: 'application/json' }));
    const link = h('a', { href: url, download: `insitu-export-${new Date().toISOString().slice(0, 10)}.json`, class: 'visually-hidden' });
    document.body.append(link);
    link.click();
    link.remove();
    // Give the download a moment to start before the URL goes away.
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    ctx.say('Your data was downloaded as JSON.');
  }

  async function forget() {
    if (forgetButton.dataset.confirm !== 'true') {
      forgetButton.dataset.confirm = 'true';
      forgetButton.textContent = 'Confirm: erase everything';
      ctx.say('Press again to erase everything insitu keeps on this device.');
      confirmTimer = setTimeout(reset, CONFIRM_WINDOW_MS);
      return;
    }
    clearTimeout(confirmTimer);
    reset();
    forgetButton.disabled = true;
    try {
      await ctx.client.forget();
      await ctx.refresh();
      const left = ctx.snapshot();
      ctx.say(`Erased. Left on this device: ${left.events.length} events, ${left.decisions.length} decisions, ${left.affinities.length} learned interests. The next picks start from scratch.`);
      document.dispatchEvent(new CustomEvent('quire:forgotten'));
    } catch (error) {
      ctx.say(`Could not erase: ${error?.message ?? error}`);
    } finally {
      forgetButton.disabled = false;
    }
  }

  function reset() {
    delete forgetButton.dataset.confirm;
    forgetButton.textContent = 'Forget everything';
  }

  return { element: h('div', { class: 'audit__actions' }, exportButton, forgetButton), update() {} };
}
