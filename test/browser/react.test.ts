/**
 * insitu/react in real Chromium: a React page over the built worker shows the fallback first,
 * then the decision, in the same box (no layout shift), under StrictMode with one decision made.
 */
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { useChromium } from './support/chromium-session.js';
import { startTestServer } from './support/server.js';

const root = resolve(import.meta.dirname, '../..');
const OUT = resolve(root, '.tmp/react-page');

// Registered before useChromium's hooks, so the page is built before the server serves it.
beforeAll(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  await build({
    configFile: false,
    logLevel: 'silent',
    root,
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      outDir: OUT,
      emptyOutDir: false,
      modulePreload: false,
      minify: false,
      rollupOptions: { input: resolve(import.meta.dirname, 'react-page/main.ts'), output: { entryFileNames: 'main.js', chunkFileNames: 'chunks/[name]-[hash].js' } },
    },
  });
  copyFileSync(resolve(import.meta.dirname, 'react-page/index.html'), resolve(OUT, 'index.html'));
}, 120_000);
const { open } = useChromium({ server: () => startTestServer({ mounts: { '/react/': OUT } }) });

type ReactWindow = Window & { renders: Array<{ itemId: string; loading: boolean; policy?: string }>; insitu: import('../../src/types.js').InsituClient };

describe('insitu/react in Chromium', () => {
  it('renders the fallback first, then the decision, in the same box, with one decision under StrictMode', async () => {
    const page = await open('/react/index.html');
    await page.waitForFunction(() => (window as unknown as ReactWindow).renders?.some((r) => !r.loading), undefined, { timeout: 20_000 });
    const state = await page.evaluate(async () => {
      const w = window as unknown as ReactWindow;
      const exported = await w.insitu.exportData();
      const box = document.getElementById('hero')!.getBoundingClientRect();
      return { renders: w.renders, decisions: exported.decisions.length, height: box.height, worker: w.insitu.status.worker };
    });
    expect(state.renders[0]).toEqual({ itemId: 'dune', loading: true });
    const settled = state.renders.find((r) => !r.loading)!;
    expect(['dune', 'emma', 'hobbit']).toContain(settled.itemId);
    expect(settled.policy).toBeDefined();
    expect(state.decisions).toBe(1);
    expect(state.height).toBe(120);
    expect(state.worker).toBe('running');
  });
});
