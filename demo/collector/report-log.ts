/**
 * The collector's durable record: one accepted report body per line (JSON lines), appended and
 * synced before the report is acknowledged, so a restart replays every acknowledged report and
 * loses nothing. A torn last line (a crash mid-write) is skipped on load and sealed off with a
 * newline so the next append starts clean.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export const REPORT_LOG_FILE = 'reports.jsonl';

export interface ReportLog {
  /** Every stored body, oldest first. */
  readonly bodies: unknown[];
  append(body: unknown): Promise<void>;
  close(): Promise<void>;
}

export async function openReportLog(dataDir: string): Promise<ReportLog> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, REPORT_LOG_FILE);
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const bodies: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      bodies.push(JSON.parse(line));
    } catch {
      // A torn line from a crash: it was never acknowledged, so dropping it loses nothing.
    }
  }
  const handle: FileHandle = await open(path, 'a');
  let queue: Promise<void> = text.length > 0 && !text.endsWith('\n') ? handle.appendFile('\n') : Promise.resolve();

  return {
    bodies,
    append(body) {
      const line = `${JSON.stringify(body)}\n`;
      // Appends are chained so concurrent requests never interleave inside a line.
      const write = queue.then(async () => {
        await handle.appendFile(line);
        await handle.datasync();
      });
      queue = write.catch(() => undefined);
      return write;
    },
    async close() {
      await queue;
      await handle.close();
    },
  };
}
