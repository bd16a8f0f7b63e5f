import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backfillInstanceId } from '../../shared/domain/backfill';
import { labelerSessionId, mlAssistInstanceId } from '../../shared/domain/labelingIds';
import {
  decodeCursor,
  encodeCursor,
  instanceIdPrefix,
  kindOfInstance,
  orchestrationKinds,
  type OrchestrationKind,
} from '../../shared/domain/orchestrationInstances';
import { manualRunIdFor, trainingRunIdFor } from '../../shared/domain/training';
import { projectIdSchema } from '../../shared/domain/project';
import { predictionsInstanceId } from '../../shared/workflows/predictions';
import { exportInstanceId } from '../../shared/workflows/exports';
import { exportIdFor } from '../../functions/http/exportRoute';
import { importIdFor } from '../../shared/domain/imports/importJob';
import { importInstanceId } from '../../shared/workflows/imports';

// Project ids as the API accepts them, biased towards ids that extend one another (`ops`, `ops-eu`), the case a
// prefix query gets wrong.
const projectId = fc
  .oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/),
    fc.tuple(fc.constantFrom('ops', 'run', 'a1'), fc.stringMatching(/^(-[a-z0-9]{1,6}){0,3}$/)).map(([a, b]) => a + b),
  )
  .filter((id) => projectIdSchema.safeParse(id).success);
const userId = fc.string({ minLength: 1, maxLength: 40 });
const runId = fc.oneof(
  fc.integer({ min: 0, max: 999_999_999 }).map(trainingRunIdFor),
  fc.integer({ min: 0, max: 999_999_999 }).map(manualRunIdFor),
);

/** Every instance id the app makes for a project, with its kind. */
const instanceOf = (p: string) =>
  fc.oneof(
    fc.constant<[OrchestrationKind, string]>(['backfill', backfillInstanceId(p)]),
    fc.constant<[OrchestrationKind, string]>(['mlAssist', mlAssistInstanceId(p)]),
    userId.map((u): [OrchestrationKind, string] => ['labelerSession', labelerSessionId(p, u)]),
    runId.map((r): [OrchestrationKind, string] => ['predictions', predictionsInstanceId(p, r)]),
    fc
      .tuple(fc.string(), fc.string(), fc.option(fc.string(), { nil: null }))
      .map(([proj, user, key]): [OrchestrationKind, string] => [
        'export',
        exportInstanceId(p, exportIdFor(proj, user, key)),
      ]),
    fc
      .tuple(fc.string(), fc.string(), fc.boolean())
      .map(([blobPath, eTag, dryRun]): [OrchestrationKind, string] => [
        'import',
        importInstanceId(
          p,
          importIdFor({ projectId: p, format: 'coco', as: 'labels', dryRun, source: { blobPath, eTag } }),
        ),
      ]),
  );

describe('which durable instances belong to a project', () => {
  it("recognises each of the project's own instances, with its kind and under its kind's prefix", () => {
    fc.assert(
      fc.property(
        projectId.chain((p) => fc.tuple(fc.constant(p), instanceOf(p))),
        ([p, [kind, id]]) => {
          expect(kindOfInstance(p, id)).toBe(kind);
          expect(id.startsWith(instanceIdPrefix(kind, p))).toBe(true);
        },
      ),
    );
  });

  it("never claims another project's instance, even when one id extends the other", () => {
    const pair = fc.oneof(
      fc.tuple(projectId, projectId),
      fc.tuple(projectId, fc.stringMatching(/^-[a-z0-9]{1,8}$/)).map(([a, suffix]) => [a, a + suffix] as const),
    );
    fc.assert(
      fc.property(
        pair
          .filter(([a, b]) => a !== b && projectIdSchema.safeParse(b).success)
          .chain(([a, b]) => fc.tuple(fc.constant(a), instanceOf(b))),
        ([a, [, idOfB]]) => {
          expect(kindOfInstance(a, idOfB)).toBeUndefined();
        },
      ),
    );
    // The case spelled out: the prefix queries for `ops` return these, and none is `ops`'s.
    for (const id of ['backfill-ops-eu', 'mlassist-ops-eu', labelerSessionId('ops-eu', 'lin')]) {
      expect(kindOfInstance('ops', id)).toBeUndefined();
    }
  });
});

describe('listing cursors', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: orchestrationKinds.length - 1 }),
        fc.option(fc.string({ minLength: 1, maxLength: 200 }), { nil: undefined }),
        (kind, hubToken) => {
          const cursor = hubToken === undefined ? { kind } : { kind, hubToken };
          expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
        },
      ),
    );
  });

  it('refuse tokens this API did not hand out', () => {
    for (const token of [
      'not-a-token',
      '',
      encodeCursor({ kind: 99 }),
      Buffer.from('{"kind":0,"x":1}').toString('base64url'),
    ]) {
      expect(decodeCursor(token), token).toBeUndefined();
    }
    fc.assert(fc.property(fc.string(), (s) => void decodeCursor(s)));
  });
});
