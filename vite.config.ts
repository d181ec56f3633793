import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { defineConfig, type Plugin, type UserConfig } from 'vite';
import pkg from './package.json' with { type: 'json' };

/**
 * One config, one build per surface (selected with `--mode`), run in turn by `npm run build`:
 * - `lib`:    ESM entries for bundler users (`insitu`, `insitu/engine`, `insitu/react`,
 *             `insitu/react-native`); dependencies external.
 * - `worker`: the same-origin module worker, fully bundled and built alone, so that everything its
 *             first decision needs is one file (one fetch, no second wave of chunk requests);
 *             tfjs, reporting and the rules code are chunks it loads lazily.
 * - `runtime`: the script tag's runtime and the bundled ESM entry, fully bundled.
 * - `script`: the script-tag loader as one IIFE file (`dist/insitu.js`).
 * Without a mode it is the vitest config (projects `unit`, `browser` and `in-browser`; `npm test`
 * runs all three).
 */
const root = import.meta.dirname;
const external = [/^@tensorflow\//, 'idb', 'comlink', 'react', 'react/jsx-runtime', 'react-dom'];

const builds: Record<string, UserConfig> = {
  lib: {
    build: {
      modulePreload: false,
      outDir: 'dist',
      emptyOutDir: false,
      sourcemap: true,
      minify: false,
      lib: {
        entry: {
          index: resolve(root, 'src/index.ts'),
          engine: resolve(root, 'worker/index.ts'),
          react: resolve(root, 'src/react/index.ts'),
          'react-native': resolve(root, 'src/react-native/index.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: { external, output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
    },
  },
  worker: bundled({ 'insitu-worker': resolve(root, 'worker/worker.ts') }),
  runtime: bundled({
    // The script tag's runtime, imported by the small loader dist/insitu.js.
    'insitu-runtime': resolve(root, 'src/script-runtime.ts'),
    // The npm entry with its dependencies bundled: for pages without a bundler (tests, demo).
    'insitu.esm': resolve(root, 'src/index.ts'),
  }),
  script: {
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      sourcemap: true,
      target: 'es2020',
      lib: { entry: resolve(root, 'src/script-tag.ts'), formats: ['iife'], name: 'insituLoader', fileName: () => 'insitu.js' },
    },
    plugins: [versionedCopyWithIntegrity()],
  },
};

/** A fully bundled ES build of `input`, chunks under chunks/. */
function bundled(input: Record<string, string>): UserConfig {
  return {
    build: {
      // Vite's preload helper would request chunks from the site's root ('/chunks/…'), not from
      // beside the SDK; dynamic imports load relative to the importing file without it.
      modulePreload: false,
      outDir: 'dist',
      emptyOutDir: false,
      sourcemap: true,
      target: 'es2022',
      rollupOptions: {
        input,
        preserveEntrySignatures: 'exports-only',
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: 'chunks/[name]-[hash].js',
        },
      },
    },
  };
}

/**
 * Publishes `insitu.<version>.js` beside `insitu.js` and `insitu.sri.json` with its SRI hash, so a
 * site can pin the exact file with `integrity=` (the unversioned name is for quick starts only).
 */
function versionedCopyWithIntegrity(): Plugin {
  return {
    name: 'insitu-versioned-sri',
    generateBundle(_options, bundle) {
      const loader = bundle['insitu.js'];
      if (!loader || loader.type !== 'chunk') return;
      const integrity = `sha384-${createHash('sha384').update(loader.code).digest('base64')}`;
      const versioned = `insitu.${pkg.version}.js`;
      this.emitFile({ type: 'asset', fileName: versioned, source: loader.code });
      this.emitFile({
        type: 'asset',
        fileName: 'insitu.sri.json',
        source: JSON.stringify({ [versioned]: integrity, 'insitu.js': integrity }, null, 2),
      });
    },
  };
}

async function tests(): Promise<UserConfig> {
  // Loaded only for tests: the builds need none of vitest's browser machinery.
  const { playwright } = await import('@vitest/browser-playwright');
  const { CHROMIUM_ARGS, findChromium } = await import('./test/support/system-chromium.js');
  const { IN_BROWSER_PROFILE_DIR } = await import('./test/in-browser/global-setup.js');
  return {
    test: {
      projects: [
        {
          test: {
            name: 'unit',
            include: ['test/unit/**/*.test.ts', 'test/unit/**/*.test.tsx'],
            environment: 'node',
            testTimeout: 20_000,
          },
        },
        {
          test: {
            name: 'browser',
            include: ['test/browser/**/*.test.ts'],
            environment: 'node',
            testTimeout: 60_000,
            hookTimeout: 60_000,
            // One Chromium at a time: the build machine has 2 cores.
            fileParallelism: false,
          },
        },
        {
          // Test files that run inside the page, in the system Chromium (Vitest's browser mode).
          test: {
            name: 'in-browser',
            include: ['test/in-browser/**/*.test.ts'],
            testTimeout: 20_000,
            // Fails with the install instruction when there is no Chromium.
            globalSetup: ['test/in-browser/global-setup.ts'],
            // A persistent context, so IndexedDB is on disk as for a visitor: an incognito context
            // keeps it in memory. Vitest ignores persistentContext when files run in parallel.
            fileParallelism: false,
            browser: {
              enabled: true,
              headless: true,
              screenshotFailures: false,
              provider: playwright({
                launchOptions: { executablePath: findChromium(), args: CHROMIUM_ARGS },
                persistentContext: IN_BROWSER_PROFILE_DIR,
              }),
              instances: [{ browser: 'chromium' }],
            },
          },
        },
      ],
    },
  } as UserConfig;
}

export default defineConfig(async ({ mode }) => builds[mode] ?? (await tests()));
