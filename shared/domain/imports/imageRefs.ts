import type { Dataset } from '../project';

/** Folders dropped from the front of a reference at most, when looking for its blob. */
const maxDroppedFolders = 8;

/** The path inside the reference: `azureml://datastores/<d>/paths/<p>` → p, a URL → its path, else as written. */
function pathOf(ref: string): string {
  const datastore = /^azureml:\/\/datastores\/[^/]+\/paths\/(.+)$/.exec(ref);
  if (datastore) return datastore[1]!;
  if (/^https?:\/\//i.test(ref)) {
    try {
      return decodeURIComponent(new URL(ref).pathname);
    } catch {
      return ref;
    }
  }
  return ref;
}

/**
 * The blob paths an image reference may stand for, most specific first: the path as written, and with leading
 * folders dropped one by one (a URL's account and container, an exporter's `images/` folder), each also under the
 * dataset's prefix. The first that is a task of the project is the image (tasks have deterministic ids, so each
 * candidate is one point read). Only candidates inside the project's dataset are offered.
 */
export function blobPathCandidates(ref: string, dataset: Pick<Dataset, 'prefix'>): string[] {
  const segments = pathOf(ref)
    .split('/')
    .filter((s) => s !== '' && s !== '.');
  if (segments.length === 0 || segments.includes('..')) return [];
  const out: string[] = [];
  const add = (p: string) => {
    if (p.startsWith(dataset.prefix) && !out.includes(p)) out.push(p);
  };
  for (let drop = 0; drop < segments.length && drop <= maxDroppedFolders; drop++) {
    const rest = segments.slice(drop).join('/');
    add(rest);
    add(dataset.prefix + rest);
  }
  return out;
}
