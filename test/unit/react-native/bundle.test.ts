/**
 * What ships to React Native: the entry is bundled (minified, so comments are gone and only code
 * remains) and searched for the globals a React Native app does not have. A reference to any of
 * them would be a crash on a device (ReferenceError) or dead weight at best.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { build, type Rollup } from 'vite';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const FORBIDDEN = /\b(window|document|indexedDB|IDBFactory|Worker|localStorage)\b/g;
/** worker/decide (the personalizer) is written on another branch; the full entry needs it. */
const hasEngine = existsSync(resolve(root, 'worker/decide/index.ts'));

async function bundle(entry: string): Promise<{ code: string; imports: string[] }> {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    root,
    build: {
      write: false,
      minify: true,
      lib: { entry: resolve(root, entry), formats: ['es'], fileName: 'rn' },
      rollupOptions: {
        // Dependencies (tfjs) ship as their own packages; what is checked here is insitu's code.
        external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
      },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
  const chunks = outputs.flatMap((o) => o.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
  return { code: chunks.map((c) => c.code).join('\n'), imports: [...new Set(chunks.flatMap((c) => [...c.imports, ...c.dynamicImports]))] };
}

describe('the insitu/react-native bundle', () => {
  it('the client and kv store reference no window, document, IndexedDB or Worker', async () => {
    const { code, imports } = await bundle('src/react-native/native-client.ts');
    expect(code.length).toBeGreaterThan(1_000);
    expect(code).toContain('insitu:');
    expect(code.match(FORBIDDEN) ?? []).toEqual([]);
    expect(imports.filter((id) => id === 'idb' || id === 'comlink')).toEqual([]);
  }, 60_000);

  it.skipIf(!hasEngine)('the whole entry, engine included, references none of them either', async () => {
    const { code, imports } = await bundle('src/react-native/index.ts');
    expect(code.match(FORBIDDEN) ?? []).toEqual([]);
    expect(imports.filter((id) => id === 'idb' || id === 'comlink')).toEqual([]);
  }, 60_000);
});
