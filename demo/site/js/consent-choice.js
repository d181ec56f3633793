// The site's record of the visitor's consent choice (what a CMP keeps): written only once the
// visitor has chosen, so a visitor who has not chosen leaves nothing on the device.

const KEY = 'quire.consent';
const PURPOSES = ['personalization', 'metrics', 'sensitive'];

/** The saved choice, or undefined while the visitor has not chosen. */
export function savedChoice() {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (!parsed || typeof parsed !== 'object') return undefined;
    const choice = {};
    for (const purpose of PURPOSES) {
      if (['granted', 'denied', 'pending'].includes(parsed[purpose])) choice[purpose] = parsed[purpose];
    }
    return Object.keys(choice).length ? choice : undefined;
  } catch {
    return undefined;
  }
}

export function saveChoice(choice) {
  const current = savedChoice() ?? {};
  const next = { ...current };
  for (const purpose of PURPOSES) if (choice[purpose]) next[purpose] = choice[purpose];
  try {
    localStorage.setItem(KEY, JSON.stringify(next));
  } catch {
    // Storage blocked: the choice holds for this page only.
  }
  return next;
}

export function forgetChoice() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}

/** Global Privacy Control: the browser says "do not sell or share"; the shop never sends reports then. */
export function gpcEnabled() {
  return navigator.globalPrivacyControl === true;
}

/** Apply a choice to the client and remember it. */
export async function choose(client, choice) {
  const applied = { ...choice };
  if (gpcEnabled() && applied.metrics === 'granted') applied.metrics = 'denied';
  const saved = saveChoice(applied);
  await client.consent.set(applied);
  document.dispatchEvent(new CustomEvent('quire:consent', { detail: saved }));
  return saved;
}
