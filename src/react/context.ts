/**
 * The client reaches hooks through context, never a global: a page can run two clients (tests,
 * micro-frontends), and a server render has none, so every hook must work with `undefined`.
 */
import { createContext, createElement, useContext, type ReactNode } from 'react';
import type { InsituClient } from '../types.js';

const InsituContext = createContext<InsituClient | undefined>(undefined);
InsituContext.displayName = 'Insitu';

export interface InsituProviderProps {
  client: InsituClient;
  children?: ReactNode;
}

/** Makes `client` available to the insitu hooks below it. The app creates the client (once, outside render). */
export function InsituProvider({ client, children }: InsituProviderProps): ReactNode {
  // createElement rather than JSX: this entry then needs no JSX runtime and no build config.
  return createElement(InsituContext.Provider, { value: client }, children);
}

/** The client from the nearest InsituProvider; undefined without one (and so on a server without one). */
export function useInsitu(): InsituClient | undefined {
  return useContext(InsituContext);
}
