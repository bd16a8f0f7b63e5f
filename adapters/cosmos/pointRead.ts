import type { Item } from '@azure/cosmos';
import { hasStatus, notFound } from './cosmosErrors';

/** A point read that answers undefined for a missing document (the SDK answers 404 by throwing). */
export async function pointRead<T>(item: Item): Promise<{ resource: T; etag: string } | undefined> {
  try {
    const { resource, etag } = await item.read<T & object>();
    return resource ? { resource, etag } : undefined;
  } catch (err) {
    if (hasStatus(err, notFound)) return undefined;
    throw err;
  }
}
