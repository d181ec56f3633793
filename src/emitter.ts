/** A tiny typed event emitter. A listener that throws is isolated: the others still run and nothing reaches the caller. */
export interface Emitter<Events> {
  on<K extends keyof Events>(name: K, listener: (payload: Events[K]) => void): () => void;
  emit<K extends keyof Events>(name: K, payload: Events[K]): void;
  /** Whether anyone listens (lets hot paths skip building a payload). */
  has(name: keyof Events): boolean;
}

export function createEmitter<Events>(): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  return {
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => void set.delete(listener as (payload: never) => void);
    },
    emit(name, payload) {
      const set = listeners.get(name);
      if (!set) return;
      for (const listener of set) {
        try {
          (listener as (payload: unknown) => void)(payload);
        } catch {
          // The host's listener failed; insitu carries on.
        }
      }
    },
    has(name) {
      return (listeners.get(name)?.size ?? 0) > 0;
    },
  };
}
