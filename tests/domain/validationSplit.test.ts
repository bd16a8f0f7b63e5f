import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taskIdFor } from '../../shared/domain/task';
import {
  isValidation,
  largeSetMinimum,
  splitPosition,
  splitTasks,
  validationFraction,
} from '../../shared/domain/validationSplit';

const tenThousandIds = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 24 }), {
  minLength: 10_000,
  maxLength: 10_000,
});
const share = (ids: readonly string[], projectId: string, labeled: number) =>
  ids.filter((id) => isValidation(projectId, id, labeled)).length / ids.length;

describe('validation split', () => {
  it('holds out 20% below 5,000 labels and 10% from 5,000 on', () => {
    expect(validationFraction(0)).toBe(0.2);
    expect(validationFraction(4_999)).toBe(0.2);
    expect(validationFraction(largeSetMinimum)).toBe(0.1);
    expect(validationFraction(1_000_000)).toBe(0.1);
  });

  it('hits the fraction on 10,000 arbitrary ids (within 5 standard errors)', () => {
    // Binomial standard error at n = 10,000: √(0.2·0.8/n) = 0.004 and √(0.1·0.9/n) = 0.003.
    fc.assert(
      fc.property(tenThousandIds, fc.string({ maxLength: 12 }), (ids, projectId) => {
        expect(Math.abs(share(ids, projectId, 1_000) - 0.2)).toBeLessThan(0.02);
        expect(Math.abs(share(ids, projectId, 6_000) - 0.1)).toBeLessThan(0.015);
      }),
      { numRuns: 10 },
    );
  });

  it('hits the fraction on sequential ids and on the app’s own task ids', () => {
    // Ids that differ in their last character only are where a weak hash clusters.
    const sequential = Array.from({ length: 10_000 }, (_, i) => `task-${i}`);
    const real = Array.from({ length: 10_000 }, (_, i) => taskIdFor('images', `batch/${i}.jpg`));
    for (const ids of [sequential, real]) {
      expect(Math.abs(share(ids, 'proj', 1_000) - 0.2)).toBeLessThan(0.02);
      expect(Math.abs(share(ids, 'proj', 5_000) - 0.1)).toBeLessThan(0.015);
    }
    // Another project draws another split from the same ids: about 20% of its validation set overlaps this one's.
    const both = sequential.filter((id) => isValidation('proj', id, 1_000) && isValidation('other', id, 1_000));
    expect(Math.abs(both.length / 10_000 - 0.04)).toBeLessThan(0.01);
  });

  it('is the same every time and keeps every task on its side below 5,000', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.integer({ min: 0, max: largeSetMinimum - 1 }),
        fc.integer({ min: 0, max: largeSetMinimum - 1 }),
        (projectId, taskId, c1, c2) => {
          expect(isValidation(projectId, taskId, c1)).toBe(isValidation(projectId, taskId, c1));
          expect(isValidation(projectId, taskId, c1)).toBe(isValidation(projectId, taskId, c2));
        },
      ),
    );
    // The brief's example: validation at 1,000 labeled stays validation at 4,000.
    const ids = Array.from({ length: 2_000 }, (_, i) => `t${i}`);
    const at1000 = ids.filter((id) => isValidation('p', id, 1_000));
    expect(at1000.length).toBeGreaterThan(300);
    expect(at1000.every((id) => isValidation('p', id, 4_000))).toBe(true);
  });

  it('at 5,000 only moves tasks from validation to training, about half of them', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.integer({ min: 0, max: 4_999 }),
        fc.integer({ min: 5_000, max: 1e6 }),
        (p, t, small, large) => {
          if (isValidation(p, t, large)) expect(isValidation(p, t, small)).toBe(true);
        },
      ),
    );
    const ids = Array.from({ length: 10_000 }, (_, i) => `task-${i}`);
    const before = ids.filter((id) => isValidation('proj', id, 4_999));
    const stayed = before.filter((id) => isValidation('proj', id, 5_000));
    expect(Math.abs(stayed.length / before.length - 0.5)).toBeLessThan(0.05);
  });

  it('keys on (projectId, taskId) as a pair, not their concatenation', () => {
    expect(splitPosition('ab', 'c')).not.toBe(splitPosition('a', 'bc'));
  });

  it('pins the hash: changing it would move tasks between splits under trained models', () => {
    // FNV-1a 32 over UTF-8 of `${projectId}\0${taskId}`, murmur3 fmix32, / 2³²; computed independently in Python.
    expect(splitPosition('p1', 't1')).toBe(0.9618342772591859);
    expect(splitPosition('proj', 'tAbC-xyz_0123456789abcdefgh')).toBe(0.597161672776565);
    expect(splitPosition('é', '猫')).toBe(0.32148729637265205);
  });

  it('splitTasks partitions the ids in their order, counting them as the labeled set by default', () => {
    const ids = Array.from({ length: 6_000 }, (_, i) => `t${i}`);
    const { training, validation } = splitTasks('p', ids);
    expect([...training, ...validation].sort()).toEqual([...ids].sort());
    expect(validation).toEqual(ids.filter((id) => isValidation('p', id, 6_000)));
    expect(training).toEqual(ids.filter((id) => !isValidation('p', id, 6_000)));
    // Told the project has 1,000 labels (some not passed in), it uses 20%.
    expect(splitTasks('p', ids.slice(0, 100), 1_000).validation).toEqual(
      ids.slice(0, 100).filter((id) => isValidation('p', id, 1_000)),
    );
  });
});
