import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteLabelingRecords } from '../../adapters/sqlite/sqliteLabelingRecords';
import { describeLabelingRecordsContract } from './labelingRecords.contract';

// A real file (WAL mode, as deployed), one per test.
describeLabelingRecordsContract('sqlite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'labeling-records-'));
  const records = new SqliteLabelingRecords(path.join(dir, 'labels.db'));
  return {
    records,
    async cleanup() {
      await records.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
