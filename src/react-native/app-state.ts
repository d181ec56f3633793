/**
 * React Native's AppState as a swappable signal (the app passes `AppState` from 'react-native';
 * tests pass a fake). Going to the background is the last moment an app reliably runs: iOS may
 * suspend it seconds later and Android may kill it, so queued events and state are written then.
 */

/** The part of React Native's `AppState` used here; `AppState` itself fits. */
export interface AppStateLike {
  addEventListener(type: 'change', listener: (state: string) => void): { remove(): void };
}

/** `inactive` comes first on iOS (app switcher, incoming call) and may be followed by a kill. */
const LEAVING_STATES: ReadonlySet<string> = new Set(['background', 'inactive']);

/** Calls `flush` each time the app leaves the foreground. Returns a function that stops listening. */
export function flushWhenBackgrounded(appState: AppStateLike, flush: () => void): () => void {
  const subscription = appState.addEventListener('change', (state) => {
    if (LEAVING_STATES.has(state)) flush();
  });
  return () => subscription.remove();
}
