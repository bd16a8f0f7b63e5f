import { describe, expect, it } from 'vitest';
import { describeProblem } from '../../web/src/problem';

// How the web app puts the API's problem+json (functions/http/problem.ts) into words for the labeler.

describe('describeProblem', () => {
  it('names every invalid field of a validation problem', () => {
    const body = {
      title: 'Invalid request',
      status: 422,
      detail: 'boxes.0.label: unknown label',
      errors: [
        { field: 'boxes.0.label', message: "unknown label 'bus' (the project's labels: car, person)" },
        { field: 'boxes.1.width', message: 'width must be greater than 0' },
      ],
    };
    expect(describeProblem(422, body)).toBe(
      "boxes.0.label: unknown label 'bus' (the project's labels: car, person); boxes.1.width: width must be greater than 0",
    );
  });

  it('falls back to the detail, then the title, then the status', () => {
    expect(describeProblem(409, { title: 'Conflict', detail: 'This image was already labeled by otto.' })).toBe(
      'This image was already labeled by otto.',
    );
    expect(describeProblem(403, { title: 'Forbidden' })).toBe('Forbidden');
    expect(describeProblem(502, undefined)).toBe('The server answered 502.');
  });
});
