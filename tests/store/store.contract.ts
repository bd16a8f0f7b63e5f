import { describeLabelingRecordsContract } from './labelingRecords.contract';
import { describeTasksAndProjectsContract, type StoreFactory } from './tasksAndProjects.contract';

export type { StoreFactory } from './tasksAndProjects.contract';

export interface StoreContractOptions {
  /** fast-check runs of the model-based properties (each run is a fresh project in the same store). */
  propertyRuns?: number;
}

/** The one contract every Store adapter must show: projects, tasks and counters; members, batches, training runs. */
export function describeStoreContract(name: string, makeStore: StoreFactory, options: StoreContractOptions = {}) {
  describeTasksAndProjectsContract(name, makeStore, options);
  describeLabelingRecordsContract(name, makeStore, options);
}
