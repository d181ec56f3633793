// A server render: Node, no DOM. The entry must import and render without any browser global.
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { createFakeClient } from './fake-client.js';

function browserGlobals(): string[] {
  return ['window', 'document', 'navigator', 'localStorage', 'indexedDB', 'Worker'].filter(
    (name) => typeof (globalThis as Record<string, unknown>)[name] !== 'undefined',
  );
}

describe('insitu/react on a server', () => {
  it('imports and renders the fallback with no browser global present', async () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
    const before = browserGlobals();
    // Node ships `navigator` since v21; whatever is there before must be all there is after.
    expect(before.filter((name) => name !== 'navigator')).toEqual([]);

    const { InsituProvider, useConsent, useDecision, useTrack } = await import('../../../src/react/index.js');
    expect(typeof window).toBe('undefined');

    let typeofWindowDuringRender = 'unset';
    function Hero() {
      const { itemId, loading, decision } = useDecision('hero', ['a', 'b', 'c'], { fallback: 'b' });
      const [consent] = useConsent();
      const track = useTrack();
      typeofWindowDuringRender = typeof window;
      expect(track('view')).toBeUndefined();
      return createElement('section', { 'data-item': itemId, 'data-loading': String(loading), 'data-decided': String(decision !== undefined) }, consent.personalization);
    }

    const bare = renderToString(createElement(Hero));
    expect(bare).toBe('<section data-item="b" data-loading="false" data-decided="false">pending</section>');
    expect(typeofWindowDuringRender).toBe('undefined');

    // With a provider the server still renders the fallback: effects (and so decide()) never run there.
    const client = createFakeClient({ personalization: 'granted', metrics: 'denied', sensitive: 'pending' });
    const provided = renderToString(createElement(InsituProvider, { client }, createElement(Hero)));
    expect(provided).toContain('data-item="b"');
    expect(provided).toContain('data-loading="true"');
    // Consent renders as pending on the server so hydration matches; the client corrects it after.
    expect(provided).toContain('>pending<');
    expect(client.decideCalls).toHaveLength(0);
    expect(client.tracked).toEqual([{ type: 'view', input: undefined }]);
    expect(browserGlobals()).toEqual(before);
  });
});
