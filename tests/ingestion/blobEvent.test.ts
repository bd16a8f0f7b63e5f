import { EventGridDeserializer } from '@azure/eventgrid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobSubject, parseBlobSubject, toBlobChange, type StorageEventEnvelope } from '../../shared/domain/blobEvent';
import { containerNameSchema } from '../../shared/domain/project';
import { cloudEventSample, eventGridSample, type SampleName } from '../fixtures/events/azureSamples';

const deserializer = new EventGridDeserializer();

/** Both schemas, deserialized by @azure/eventgrid as the trigger does. */
async function bothSchemas(name: SampleName): Promise<Array<[string, StorageEventEnvelope]>> {
  const [eg] = await deserializer.deserializeEventGridEvents(eventGridSample(name));
  const [ce] = await deserializer.deserializeCloudEvents(cloudEventSample(name));
  return [
    ['EventGridEvent', eg!],
    ['CloudEvent', ce!],
  ];
}

describe('toBlobChange on Azure documented samples', () => {
  it('maps the BlobCreated sample to a created change, taking the container from the subject', async () => {
    for (const [schema, event] of await bothSchemas('blobCreated')) {
      expect(toBlobChange(event), schema).toEqual({
        kind: 'created',
        eventId: '831e1650-001e-001b-66ab-eeb76e069631',
        api: 'PutBlockList',
        // The sample's url says "testcontainer"; the subject is the authority.
        container: 'test-container',
        blobPath: 'new-file.txt',
        storageAccount: 'my-storage-account',
        blobUrl: 'https://my-storage-account.blob.core.windows.net/testcontainer/new-file.txt',
        sequencer: '00000000000004420000000000028963',
        contentType: 'text/plain',
        sizeBytes: 524288,
        eTag: '"0x8D4BCC2E4835CD0"',
      });
    }
  });

  it('maps the BlobDeleted sample to a deleted change', async () => {
    for (const [schema, event] of await bothSchemas('blobDeleted')) {
      expect(toBlobChange(event), schema).toEqual({
        kind: 'deleted',
        eventId: '4c2359fe-001e-00ba-0e04-58586806d298',
        api: 'DeleteBlob',
        container: 'testcontainer',
        blobPath: 'file-to-delete.txt',
        storageAccount: 'my-storage-account',
        blobUrl: 'https://my-storage-account.blob.core.windows.net/testcontainer/file-to-delete.txt',
        sequencer: '0000000000000281000000000002F5CA',
      });
    }
  });

  it('takes ADLS Gen2 FlushWithClose as created (blob endpoint url) and DeleteFile as deleted', async () => {
    for (const [schema, event] of await bothSchemas('adlsFlushWithClose')) {
      expect(toBlobChange(event), schema).toMatchObject({
        kind: 'created',
        api: 'FlushWithClose',
        container: 'my-file-system',
        blobPath: 'new-file.txt',
        sizeBytes: 524288,
        blobUrl: 'https://my-storage-account.blob.core.windows.net/my-file-system/new-file.txt',
      });
    }
    for (const [schema, event] of await bothSchemas('adlsDeleteFile')) {
      expect(toBlobChange(event), schema).toMatchObject({
        kind: 'deleted',
        api: 'DeleteFile',
        container: 'my-file-system',
        blobPath: 'file-to-delete.txt',
        blobUrl: 'https://my-storage-account.blob.core.windows.net/my-file-system/file-to-delete.txt',
      });
    }
  });

  it.each([
    ['adlsCreateFile', /CreateFile of an empty file/],
    ['sftpCommit', /SftpCommit is not a committed upload/],
    ['blobTierChanged', /BlobTierChanged" is not a blob create or delete/],
    ['adlsDirectoryDeleted', /DirectoryDeleted" is not a blob create or delete/],
  ] as const)('ignores %s with the reason', async (name, reason) => {
    for (const [schema, event] of await bothSchemas(name)) {
      const change = toBlobChange(event);
      expect(change.kind, schema).toBe('ignored');
      expect(change.kind === 'ignored' && change.reason, schema).toMatch(reason);
    }
  });
});

describe('toBlobChange on events it cannot use', () => {
  const created = eventGridSample('blobCreated');

  it('ignores, never throws, on invalid data or subjects', () => {
    const cases: Array<[StorageEventEnvelope, RegExp]> = [
      [{ ...created, data: { ...created.data, sequencer: undefined } }, /invalid BlobCreated data: sequencer/],
      [{ ...created, data: { ...created.data, contentLength: '12' } }, /invalid BlobCreated data: contentLength/],
      [{ ...created, data: undefined }, /invalid BlobCreated data/],
      [{ ...created, subject: '/blobServices/default/containers/c' }, /does not name a blob/],
      [{ ...created, subject: '/blobServices/default/containers/c/blobs/' }, /does not name a blob/],
      [{ ...created, subject: '/fileServices/default/shares/c/files/a.jpg' }, /does not name a blob/],
      [{ ...created, data: { ...created.data, api: 'SftpCreate' } }, /SftpCreate is not a committed upload/],
      [
        { ...eventGridSample('blobDeleted'), data: { ...eventGridSample('blobDeleted').data, api: 'SftpRemove' } },
        /BlobDeleted from SftpRemove is not handled/,
      ],
    ];
    for (const [event, reason] of cases) {
      const change = toBlobChange(event);
      expect(change).toMatchObject({ kind: 'ignored', eventId: event.id });
      expect(change.kind === 'ignored' && change.reason).toMatch(reason);
    }
  });

  it('keeps committed creates of any length, including an empty PutBlob (the header check rejects it later)', () => {
    for (const api of ['PutBlob', 'PutBlockList', 'CopyBlob', 'FlushWithClose']) {
      const change = toBlobChange({ ...created, data: { ...created.data, api, contentLength: 0 } });
      expect(change).toMatchObject({ kind: 'created', api, sizeBytes: 0 });
    }
  });
});

describe('blob subjects', () => {
  // Container names: 3-63 lower-case letters, digits and single inner hyphens.
  const containerName = fc
    .stringMatching(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/)
    .filter((c) => containerNameSchema.safeParse(c).success);
  // Blob names: any non-empty unicode text, including '/', '/blobs/' and spaces.
  const blobPath = fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
    fc
      .array(fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.constant('blobs')), {
        minLength: 1,
        maxLength: 6,
      })
      .map((segments) => segments.join('/')),
  );

  /** What Azure Storage lets a blob be named: no `.`/`..` segment, no backslash, no control character. */
  // eslint-disable-next-line no-control-regex
  const isPlain = (path: string) => !/[\u0000-\u001f\u007f\\]/.test(path) && !/(^|\/)\.\.?(\/|$)/.test(path);

  it('round-trips any container and plain blob path, and refuses the rest', () => {
    fc.assert(
      fc.property(containerName, blobPath, (container, path) => {
        const parsed = parseBlobSubject(blobSubject(container, path));
        if (isPlain(path)) expect(parsed).toEqual({ container, blobPath: path });
        else expect(parsed).toBeUndefined();
      }),
      { numRuns: 500 },
    );
  });

  it('refuses paths that would resolve elsewhere or carry control characters', () => {
    for (const path of ['../x.jpg', 'a/../../x.jpg', 'a/./x.jpg', '..', 'a\\b.jpg', 'a\u0000.jpg', 'a\nb.jpg']) {
      expect(parseBlobSubject(blobSubject('images', path)), path).toBeUndefined();
    }
    for (const path of ['a..b.jpg', '...', '.hidden.jpg', 'x/..y/z.jpg']) {
      expect(parseBlobSubject(blobSubject('images', path)), path).toEqual({ container: 'images', blobPath: path });
    }
  });

  it('reads paths with "/", "/blobs/" and unicode from a real-looking subject', () => {
    const subject = '/blobServices/default/containers/coco-2017/blobs/val/blobs/猫 photo/000000139.jpg';
    expect(parseBlobSubject(subject)).toEqual({ container: 'coco-2017', blobPath: 'val/blobs/猫 photo/000000139.jpg' });
  });
});
