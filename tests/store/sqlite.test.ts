import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqliteLabelStore } from '../../adapters/sqlite/sqliteLabelStore';
import { describeLabelStoreContract } from './labelStore.contract';

// A real file (WAL mode, as deployed), one per test.
describeLabelStoreContract('sqlite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'label-store-'));
  const store = new SqliteLabelStore(path.join(dir, 'labels.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
