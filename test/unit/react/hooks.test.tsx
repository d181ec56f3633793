// @vitest-environment happy-dom
import { act, StrictMode, useEffect, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { InsituProvider, useConsent, useDecision, useTrack, type DecisionState, type TrackFunction, type UseDecisionOptions } from '../../../src/react/index.js';
import { InsituError } from '../../../worker/errors.js';
import { createFakeClient, type FakeClient } from './fake-client.js';

declare global {
  // eslint-disable-next-line no-var
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined;
}

let container: HTMLElement;
let root: Root;

beforeEach(() => {
  globalThis.IS_REACT_ACT_ENVIRONMENT = true;
  container = document.createElement('div');
  document.body.append(container);
  root = createRoot(container);
});

afterEach(() => {
  act(() => root.unmount());
  container.remove();
  vi.restoreAllMocks();
});

function render(node: ReactNode): void {
  act(() => root.render(node));
}

/** Renders the hook's state as text and remembers every state it rendered, in order. */
function Slot(props: { placement: string; candidates: string[]; options?: UseDecisionOptions; seen: DecisionState[] }) {
  const state = useDecision(props.placement, props.candidates, props.options);
  props.seen.push(state);
  return <div className="slot">{`${state.itemId}:${state.loading ? 'loading' : 'ready'}`}</div>;
}

const text = () => container.textContent;

describe('useDecision', () => {
  let client: FakeClient;
  beforeEach(() => {
    client = createFakeClient();
  });

  it('renders the first candidate first, then the decision', async () => {
    const seen: DecisionState[] = [];
    render(
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={['a', 'b', 'c']} seen={seen} />
      </InsituProvider>,
    );
    expect(seen[0]).toEqual({ decision: undefined, itemId: 'a', loading: true });
    expect(text()).toBe('a:loading');
    expect(client.decideCalls).toHaveLength(1);
    expect(client.decideCalls[0]!.placement).toBe('hero');
    expect(client.decideCalls[0]!.options.candidates).toEqual(['a', 'b', 'c']);

    let decision!: ReturnType<FakeClient['decideCalls'][0]['resolve']>;
    await act(async () => {
      decision = client.decideCalls[0]!.resolve('c');
    });
    expect(text()).toBe('c:ready');
    expect(seen.at(-1)).toEqual({ decision, itemId: 'c', loading: false });
  });

  it('renders the explicit fallback first and passes the options to decide()', async () => {
    const seen: DecisionState[] = [];
    render(
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={['a', 'b']} options={{ fallback: 'b', timeoutMs: 40, context: { hour: 9 } }} seen={seen} />
      </InsituProvider>,
    );
    expect(text()).toBe('b:loading');
    expect(client.decideCalls[0]!.options).toEqual({ candidates: ['a', 'b'], fallback: 'b', timeoutMs: 40, context: { hour: 9 } });
    await act(async () => void client.decideCalls[0]!.resolve('a'));
    expect(text()).toBe('a:ready');
  });

  it('makes no new decide() call on a re-render with an equal (but new) candidate array', async () => {
    const seen: DecisionState[] = [];
    const tree = (candidates: string[], context: Record<string, number>) => (
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={candidates} options={{ context }} seen={seen} />
      </InsituProvider>
    );
    render(tree(['a', 'b'], { hour: 9, day: 2 }));
    await act(async () => void client.decideCalls[0]!.resolve('b'));
    render(tree(['a', 'b'], { day: 2, hour: 9 }));
    render(tree(['a', 'b'], { hour: 9, day: 2 }));
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expect(client.decideCalls).toHaveLength(1);
    expect(text()).toBe('b:ready');

    render(tree(['a', 'b', 'c'], { hour: 9, day: 2 }));
    expect(client.decideCalls).toHaveLength(2);
    // The old decision belongs to the old list: the new list starts from its fallback.
    expect(text()).toBe('a:loading');
  });

  it('ignores a result that arrives after the candidates changed', async () => {
    const seen: DecisionState[] = [];
    const tree = (candidates: string[]) => (
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={candidates} seen={seen} />
      </InsituProvider>
    );
    render(tree(['a', 'b']));
    render(tree(['x', 'y']));
    expect(client.decideCalls).toHaveLength(2);
    await act(async () => void client.decideCalls[1]!.resolve('y'));
    expect(text()).toBe('y:ready');
    await act(async () => void client.decideCalls[0]!.resolve('b'));
    expect(text()).toBe('y:ready');
    expect(seen.some((s) => s.itemId === 'b')).toBe(false);
  });

  it('drops the result after unmount without rendering or warning', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const seen: DecisionState[] = [];
    render(
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={['a', 'b']} seen={seen} />
      </InsituProvider>,
    );
    act(() => root.render(null));
    const rendersBefore = seen.length;
    await act(async () => void client.decideCalls[0]!.resolve('b'));
    expect(seen).toHaveLength(rendersBefore);
    expect(seen.some((s) => s.itemId === 'b')).toBe(false);
    expect(errors).not.toHaveBeenCalled();

    // A fresh mount asks again rather than reusing the unmounted component's answer.
    render(
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={['a', 'b']} seen={seen} />
      </InsituProvider>,
    );
    expect(client.decideCalls).toHaveLength(2);
    expect(text()).toBe('a:loading');
  });

  it('asks once under StrictMode (its double effect does not log a second decision)', async () => {
    const seen: DecisionState[] = [];
    render(
      <StrictMode>
        <InsituProvider client={client}>
          <Slot placement="hero" candidates={['a', 'b']} seen={seen} />
        </InsituProvider>
      </StrictMode>,
    );
    expect(client.decideCalls).toHaveLength(1);
    await act(async () => void client.decideCalls[0]!.resolve('b'));
    expect(text()).toBe('b:ready');
  });

  it('asks the new client when the provider gets another one', async () => {
    const seen: DecisionState[] = [];
    const tree = (c: FakeClient) => (
      <InsituProvider client={c}>
        <Slot placement="hero" candidates={['a', 'b']} seen={seen} />
      </InsituProvider>
    );
    render(tree(client));
    await act(async () => void client.decideCalls[0]!.resolve('b'));
    const other = createFakeClient();
    render(tree(other));
    expect(other.decideCalls).toHaveLength(1);
    expect(text()).toBe('a:loading');
    await act(async () => void other.decideCalls[0]!.resolve('a'));
    expect(text()).toBe('a:ready');
  });

  it('keeps the fallback when decide() rejects', async () => {
    const seen: DecisionState[] = [];
    render(
      <InsituProvider client={client}>
        <Slot placement="hero" candidates={['a', 'b']} seen={seen} />
      </InsituProvider>,
    );
    await act(async () => client.decideCalls[0]!.reject(new InsituError('worker_unavailable', 'destroyed')));
    expect(text()).toBe('a:ready');
    expect(seen.at(-1)!.decision).toBeUndefined();
  });

  it('renders the fallback, not loading, without a provider', () => {
    const seen: DecisionState[] = [];
    render(<Slot placement="hero" candidates={['a', 'b']} options={{ fallback: 'b' }} seen={seen} />);
    expect(text()).toBe('b:ready');
  });
});

describe('useTrack', () => {
  it('returns one function across re-renders that forwards to the client', () => {
    const client = createFakeClient();
    const tracks: TrackFunction[] = [];
    function Tracker(props: { label: string }) {
      const track = useTrack();
      tracks.push(track);
      return <span>{props.label}</span>;
    }
    render(<InsituProvider client={client}><Tracker label="one" /></InsituProvider>);
    render(<InsituProvider client={client}><Tracker label="two" /></InsituProvider>);
    expect(tracks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(tracks).size).toBe(1);

    expect(tracks[0]!('click', { itemId: 'a' })).toBeUndefined();
    expect(client.tracked).toEqual([{ type: 'click', input: { itemId: 'a' } }]);
    expect(tracks[0]!('Not Valid')).toBeInstanceOf(InsituError);
  });

  it('does nothing without a provider', () => {
    let track: TrackFunction | undefined;
    function Tracker() {
      track = useTrack();
      return null;
    }
    render(<Tracker />);
    expect(track!('click')).toBeUndefined();
  });
});

describe('useConsent', () => {
  function ConsentView(props: { onSet?: (set: ReturnType<typeof useConsent>[1]) => void }) {
    const [state, set] = useConsent();
    useEffect(() => {
      props.onSet?.(set);
    }, [set, props]);
    return <p>{`${state.personalization}/${state.metrics}`}</p>;
  }

  it('re-renders when consent changes, from the hook or from elsewhere, and unsubscribes on unmount', async () => {
    const client = createFakeClient();
    let set: ReturnType<typeof useConsent>[1] | undefined;
    render(<InsituProvider client={client}><ConsentView onSet={(s) => void (set = s)} /></InsituProvider>);
    expect(text()).toBe('pending/pending');
    expect(client.consentListeners()).toBe(1);

    await act(() => set!({ personalization: 'granted' }));
    expect(text()).toBe('granted/pending');

    await act(() => client.consent.set({ metrics: 'denied' }));
    expect(text()).toBe('granted/denied');

    act(() => root.render(null));
    expect(client.consentListeners()).toBe(0);
  });

  it('shows pending and refuses to set without a provider', async () => {
    let set: ReturnType<typeof useConsent>[1] | undefined;
    render(<ConsentView onSet={(s) => void (set = s)} />);
    expect(text()).toBe('pending/pending');
    await expect(set!({ personalization: 'granted' })).rejects.toMatchObject({ code: 'worker_unavailable' });
  });
});
