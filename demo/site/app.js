import { createInsitu } from '/dist/insitu.esm.js';

const catalog = [
  { id: 'dune', title: 'Dune', tags: ['science-fiction'] },
  { id: 'emma', title: 'Emma', tags: ['romance'] },
  { id: 'hobbit', title: 'The Hobbit', tags: ['fantasy'] },
];
const insitu = createInsitu({ catalog, consent: { kind: 'explicit' } });

async function refresh() {
  const decision = await insitu.decide('hero', { candidates: catalog.map((item) => item.id) });
  const item = catalog.find((entry) => entry.id === decision.itemId);
  document.getElementById('pick').textContent = `${item.title} — ${decision.reasons.join('; ')}`;
  document.getElementById('stored').textContent = JSON.stringify(await insitu.exportData(), null, 2);
}

document.getElementById('grant').addEventListener('click', async () => {
  await insitu.consent.set({ personalization: 'granted' });
  insitu.track('view', { itemId: 'dune' });
  await insitu.flush();
  await refresh();
});
document.getElementById('deny').addEventListener('click', async () => {
  await insitu.consent.set({ personalization: 'denied', metrics: 'denied' });
  await refresh();
});
refresh();
