import { azureMlImportLineSchema, type AzureMlImportLine } from '../formats/azureMlJsonlImport';
import type { IssueLog } from './importIssues';
import type { ImportItem } from './importItems';
import { BoxTable, type ScannedImport } from './scannedImport';

/**
 * Azure ML JSONL read line by line (text inline, or a blob through readline): one image per non-blank line, its
 * boxes into the compact table. The one reader of the format: `readAzureMlJsonl` (inline) goes through it too.
 */
export class JsonlScan {
  readonly #log: IssueLog;
  readonly #items: ImportItem[] = [];
  readonly #seen = new Set<string>();
  readonly #boxes = new BoxTable();
  #crowdIgnored = 0;

  constructor(log: IssueLog) {
    this.#log = log;
  }

  /** Line `lineNumber` (1-based) of the file. */
  line(raw: string, lineNumber: number): void {
    if (raw.trim() === '') return;
    const log = this.#log;
    const at = `line ${lineNumber}`;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      log.add({ kind: 'invalid', file: 'source', at, message: `not JSON: ${(err as Error).message}` });
      return;
    }
    const parsed = azureMlImportLineSchema.safeParse(json);
    if (!parsed.success) {
      log.addZod('source', parsed.error, at);
      return;
    }
    const line: AzureMlImportLine = parsed.data;
    if (this.#seen.has(line.image_url)) {
      log.add({
        kind: 'duplicateImage',
        file: 'source',
        at: `${at}.image_url`,
        message: `'${line.image_url}' is listed twice`,
        image: line.image_url,
      });
    }
    this.#seen.add(line.image_url);
    const image = this.#items.length;
    line.label.forEach((b, j) => {
      if (b.isCrowd === 1) {
        this.#crowdIgnored++;
        return;
      }
      const { label, topX, topY, bottomX, bottomY } = b;
      this.#boxes.add({ image, a: topX, b: topY, c: bottomX, d: bottomY, label, atA: lineNumber, atB: j });
    });
    const { width, height } = line.image_details ?? {};
    this.#items.push({
      ref: line.image_url,
      at,
      file: 'source',
      ...(width !== undefined && height !== undefined ? { declared: { width, height } } : {}),
      fractions: [],
    });
  }

  finish(): ScannedImport {
    return {
      images: this.#items,
      units: 'fractions',
      boxes: this.#boxes,
      at: (r) => `line ${r.atA}.label.${r.atB}`,
      crowdIgnored: this.#crowdIgnored,
    };
  }
}
