import type { IssueLog } from '../domain/imports/importIssues';
import type { ImportSource } from '../domain/imports/importRequest';
import type { Project } from '../domain/project';
import type { BlobGateway } from '../ports/blobGateway';

/**
 * The largest blob read whole within a request: only the dataset of an inline COCO results file (a blob source is a
 * durable, streamed import: shared/services/importJobs.ts). It is parsed in memory, so this bounds the request's
 * memory and time.
 */
export const maxImportBlobBytes = 64 * 1024 * 1024;

/** Why a blob source cannot be read; `field` names the request member (`source.blobPath`, `dataset.blobPath`). */
export interface SourceRefusal {
  status: 413 | 422;
  title: string;
  message: string;
  field: string;
}

export type LoadedSource =
  { ok: true; value: unknown } | { ok: false; refused: SourceRefusal } | { ok: false; refused?: undefined };

/**
 * The file's content: inline as sent, or read from the project's container. The read asks for one byte more than
 * the cap (a ranged read, the gateway's `readHead`), so a larger blob is refused having read no more than that. JSON
 * formats are parsed here (text that is not JSON is an `invalid` issue); Azure ML JSONL stays text.
 */
export async function loadSource(
  blobs: BlobGateway,
  project: Project,
  source: ImportSource,
  as: 'json' | 'text',
  file: 'source' | 'dataset',
  log: IssueLog,
): Promise<LoadedSource> {
  if ('inline' in source) return { ok: true, value: source.inline };
  const at = { connectionSetting: project.dataset.connectionSetting, container: project.dataset.container };
  const bytes = await blobs.readHead(at, source.blobPath, maxImportBlobBytes + 1);
  if (!bytes) {
    return {
      ok: false,
      refused: {
        status: 422,
        title: 'Invalid request',
        message: `no blob '${source.blobPath}' in container '${project.dataset.container}'`,
        field: `${file}.blobPath`,
      },
    };
  }
  if (bytes.length > maxImportBlobBytes) {
    return {
      ok: false,
      refused: {
        status: 413,
        title: 'Content too large',
        message: `'${source.blobPath}' is over ${maxImportBlobBytes} bytes; import it in parts`,
        field: `${file}.blobPath`,
      },
    };
  }
  const text = bytes.toString('utf8');
  if (as === 'text') return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    log.add({ kind: 'invalid', file, at: '(document)', message: `not JSON: ${(err as Error).message}` });
    return { ok: false };
  }
}
