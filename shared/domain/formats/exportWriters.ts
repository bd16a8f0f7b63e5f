import { azureMlJsonlWriter } from './azureMlJsonlExport';
import { cocoWriter } from './cocoExport';
import { csvWriter } from './csvExport';
import type { ExportFormat } from './exportRequest';
import type { FormatWriter } from './streamedDocument';
import { yoloWriter } from './yoloExport';

export const exportWriters: Record<ExportFormat, FormatWriter> = {
  coco: cocoWriter,
  'azureml-jsonl': azureMlJsonlWriter,
  yolo: yoloWriter,
  csv: csvWriter,
};
