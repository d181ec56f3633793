/**
 * The reference collector from the command line:
 *   npx tsx demo/collector/main.ts --port 8787 --data .tmp/collector [--k 50] [--catalog catalog.json] [--origin http://127.0.0.1:5173]
 * `--catalog` is a JSON array of item ids or of catalog items ({ id, ... }), needed for /priors.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startCollector } from './server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string', default: '.tmp/collector' },
      k: { type: 'string' },
      catalog: { type: 'string' },
      origin: { type: 'string', multiple: true },
    },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got ${values.port}`);
  const k = values.k === undefined ? undefined : Number(values.k);
  if (k !== undefined && !(Number.isInteger(k) && k >= 1)) throw new Error('--k must be a positive integer');
  let catalogIds: string[] | undefined;
  if (values.catalog) {
    const parsed: unknown = JSON.parse(await readFile(values.catalog, 'utf8'));
    const list = Array.isArray(parsed) ? parsed : [];
    catalogIds = list.map((entry: unknown) => (typeof entry === 'string' ? entry : (entry as { id?: unknown })?.id)).filter((id): id is string => typeof id === 'string');
  }
  const collector = await startCollector({
    port,
    host: values.host,
    dataDir: values.data,
    ...(k !== undefined ? { k } : {}),
    ...(catalogIds ? { catalogIds } : {}),
    ...(values.origin ? { allowedOrigins: values.origin } : {}),
  });
  console.log(`insitu collector listening on ${collector.url} (POST /v1/metrics; GET /estimates /priors /requests), data in ${values.data}`);
  const stop = () => {
    collector.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
