// A React page over the real SDK: the hero renders the fallback first, then the decision the
// worker makes. Bundled by test/browser/react.test.ts with Vite; every render is recorded.
import { createElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createInsitu } from '../../../src/index.js';
import { InsituProvider, useDecision } from '../../../src/react/index.js';

const renders: Array<{ itemId: string; loading: boolean; policy?: string }> = [];
(window as unknown as { renders: typeof renders }).renders = renders;

const insitu = createInsitu({
  catalog: '/pages/catalog.json',
  consent: { kind: 'explicit', initial: { personalization: 'granted' } },
  autoCapture: false,
  workerUrl: '/dist/insitu-worker.js',
});
(window as unknown as { insitu: typeof insitu }).insitu = insitu;

function Hero() {
  const { itemId, loading, decision } = useDecision('hero', ['dune', 'emma', 'hobbit'], { fallback: 'dune', timeoutMs: 5_000 });
  renders.push({ itemId, loading, ...(decision ? { policy: decision.policy } : {}) });
  return createElement('article', { id: 'hero', 'data-insitu-item': itemId, style: { height: '120px' } }, itemId);
}

createRoot(document.getElementById('root')!).render(createElement(StrictMode, null, createElement(InsituProvider, { client: insitu }, createElement(Hero))));
