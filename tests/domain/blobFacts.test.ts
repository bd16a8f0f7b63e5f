import { describe, expect, it } from 'vitest';
import { decideBlobCreated, decideBlobDeleted, type BlobFacts } from '../../shared/domain/blobFacts';
import type { Task } from '../../shared/domain/task';

const now = '2026-01-01T00:00:00.000Z';
const facts = (over: Partial<BlobFacts> = {}): BlobFacts => ({
  container: 'images',
  blobPath: 'a/b.jpg',
  blobUrl: 'http://127.0.0.1/images/a/b.jpg',
  contentType: 'image/jpeg',
  sizeBytes: 100,
  eTag: '"0x1"',
  sequencer: '00000000000000000000000000000010',
  width: 10,
  height: 20,
  ...over,
});

function written(d: ReturnType<typeof decideBlobCreated>): Task {
  if (d.kind !== 'write') throw new Error(`expected a write, got ignore: ${d.reason}`);
  return d.task;
}

const del = (t: Task | undefined, sequencer: string) =>
  decideBlobDeleted('p', t, 'images', 'a/b.jpg', 'http://127.0.0.1/images/a/b.jpg', sequencer, now);

describe('blob decisions', () => {
  it('a blob rejected, deleted, then re-uploaded as a valid image becomes work again', () => {
    const rejected = written(decideBlobCreated('p', undefined, facts({ rejectReason: 'not an image' }), now));
    expect(rejected.state).toBe('rejected');
    const removed = written(del(rejected, '00000000000000000000000000000020'));
    const revived = written(
      decideBlobCreated('p', removed, facts({ sequencer: '00000000000000000000000000000030' }), now),
    );
    expect(revived.state).toBe('new');
    expect(revived.rejectReason).toBeUndefined();
  });

  it('a listing revives a removed task only when it sees a different upload than the deleted one', () => {
    const created = written(decideBlobCreated('p', undefined, facts(), now));
    const removed = written(del(created, '00000000000000000000000000000020'));
    // The same eTag: the listing is older than the delete.
    expect(decideBlobCreated('p', removed, facts({ sequencer: '' }), now).kind).toBe('ignore');
    // A new eTag: re-uploaded while its create event was lost.
    const revived = written(decideBlobCreated('p', removed, facts({ sequencer: '', eTag: '"0x2"' }), now));
    expect(revived.state).toBe('new');
    // The real sequencer is kept, so the delete's successor events still order correctly.
    expect(revived.sequencer).toBe('00000000000000000000000000000020');
  });

  it('a tombstone from a delete seen first is never revived by a listing', () => {
    const tomb = written(del(undefined, '00000000000000000000000000000020'));
    expect(tomb.state).toBe('removed');
    expect(decideBlobCreated('p', tomb, facts({ sequencer: '', eTag: '"0x9"' }), now).kind).toBe('ignore');
    expect(decideBlobCreated('p', tomb, facts({ sequencer: '00000000000000000000000000000010' }), now).kind).toBe(
      'ignore',
    );
  });
});
