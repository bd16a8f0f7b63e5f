/** The API's shapes the web app reads (docs/api.md). Box coordinates are image pixels, origin top-left. */
export interface LabelClass {
  name: string;
  color?: string;
}

export type ProjectType = 'objectDetection' | 'imageClassification' | 'imageClassificationMultiLabel';

export interface Project {
  id: string;
  name: string;
  type: ProjectType;
  labels: LabelClass[];
  instructions: string;
  status: string;
}

export interface Box {
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ScoredBox extends Box {
  score?: number;
}

export interface Task {
  taskId: string;
  imageUrl: string;
  width: number | null;
  height: number | null;
  state: string;
  prelabel?: { boxes?: ScoredBox[]; labels?: string[] };
}

export interface Batch {
  batchId: string;
  state: string;
  leaseExpiresAt: string;
  remaining: number;
  tasks: Task[];
  reason?: string;
}

export interface Me {
  userId: string;
  name: string;
  roles: string[];
}
