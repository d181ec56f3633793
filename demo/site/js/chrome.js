// What every page has besides its content: the consent banner and the audit panel.
import { mountConsentBanner } from './consent-banner.js';
import { mountAuditPanel } from './audit/panel.js';

export function mountChrome(client, catalog) {
  mountConsentBanner(client);
  const panel = mountAuditPanel(client, catalog);
  for (const link of document.querySelectorAll('[data-open-audit]')) {
    link.addEventListener('click', (event) => {
      event.preventDefault();
      panel.open();
    });
  }
  return panel;
}
