/**
 * The COCO object detection format (cocodataset.org/#format-data, "1. Object Detection"), as the exports write it
 * and the imports read it. Coordinates are image pixels, origin top-left; `bbox` is [x, y, width, height].
 */

export interface CocoInfo {
  year?: number;
  version?: string;
  description?: string;
  contributor?: string;
  url?: string;
  date_created?: string;
}

export interface CocoLicense {
  id: number;
  name: string;
  url: string;
}

export interface CocoImage {
  id: number;
  width: number;
  height: number;
  file_name: string;
  license?: number;
  flickr_url?: string;
  coco_url?: string;
  date_captured?: string;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  /** Instance segmentation; object detection files may leave it out or leave it empty. */
  segmentation?: number[][];
  area: number;
  bbox: [number, number, number, number];
  iscrowd: 0 | 1;
  /** Not in the spec: a model's confidence, carried by result files (prelabels). */
  score?: number;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory: string;
}

export interface CocoDataset {
  info?: CocoInfo;
  licenses?: CocoLicense[];
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
}
