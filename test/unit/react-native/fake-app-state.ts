import type { AppStateLike } from '../../../src/react-native/app-state.js';

/** React Native's AppState, driven by the test. */
export function createFakeAppState(): AppStateLike & { change(state: string): void; listeners(): number } {
  const listeners = new Set<(state: string) => void>();
  return {
    addEventListener(_type, listener) {
      listeners.add(listener);
      return { remove: () => void listeners.delete(listener) };
    },
    change(state) {
      for (const listener of [...listeners]) listener(state);
    },
    listeners: () => listeners.size,
  };
}
