import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validationProblem } from '../../functions/http/problem';
import { projectCreateSchema } from '../../shared/domain/project';
import { mutationArb, validSpecArb } from './createSpecArbitraries';

/** The fields a 422 for this body would name (the same mapping the API uses). */
function rejectedFields(body: unknown): string[] | undefined {
  const result = projectCreateSchema.safeParse(body);
  if (result.success) return undefined;
  const problem = JSON.parse(validationProblem(result.error).body as string) as { errors: Array<{ field: string }> };
  return problem.errors.map((e) => e.field);
}

describe('the project create schema', () => {
  it('accepts every valid spec and fills in the defaults', () => {
    fc.assert(
      fc.property(validSpecArb, (spec) => {
        const parsed = projectCreateSchema.parse(spec);
        expect(parsed.name).toBe((spec.name as string).trim());
        expect(parsed.labels.map((l) => l.name)).toEqual(spec.labels.map((l) => l.name.trim()));
        expect(parsed.dataset.container).toBe(spec.dataset.container);
        expect(parsed.dataset.extensions.length).toBeGreaterThan(0);
        expect(parsed.batchPolicy.size).toBeGreaterThanOrEqual(1);
        // ML Assist follows the type unless the spec says otherwise (and only object detection may say "on").
        const asked = (spec.mlAssist as { enabled?: boolean } | undefined)?.enabled;
        expect(parsed.mlAssist.enabled).toBe(asked ?? spec.type === 'objectDetection');
        expect(parsed.mlAssist.initialTrainingThreshold).toBe(
          (spec.mlAssist as { initialTrainingThreshold?: number } | undefined)?.initialTrainingThreshold ?? 250,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('rejects every one-field mutation of a valid spec and names that field', () => {
    fc.assert(
      fc.property(validSpecArb, mutationArb, (spec, mutation) => {
        const fields = rejectedFields(mutation.apply(spec));
        expect(fields, mutation.what).toBeDefined();
        expect(fields, mutation.what).toContain(mutation.field);
      }),
      { numRuns: 250 },
    );
  });
});
