import { useState } from 'preact/hooks';
import { ApiError } from '../api';
import type { Problem } from '../problem';

/** Which form control shows a field the API named in a problem (`labels.2.name` → `f-labels-2-name`). */
export function controlId(field: string): string {
  return `f-${field.replace(/\./g, '-')}`;
}

/**
 * A form's last refusal: the problem in words (for the alert over the form) and each field the API named, marked
 * invalid and described by its message beside it. `refuse` moves focus to the first named field, so a keyboard
 * user lands where the fix is.
 */
export function useFieldProblems() {
  const [problem, setProblem] = useState<{ text: string; errors: NonNullable<Problem['errors']> } | undefined>();
  const messageOf = (field: string) => problem?.errors.find((e) => e.field === field)?.message;
  return {
    problem,
    clear: () => setProblem(undefined),
    refuse: (err: unknown) => {
      const errors = err instanceof ApiError ? ((err.body as Problem | undefined)?.errors ?? []) : [];
      setProblem({ text: (err as Error).message, errors });
      const first = errors[0] ? document.getElementById(controlId(errors[0].field)) : null;
      // After the render that marks it.
      setTimeout(() => first?.focus(), 0);
    },
    /** aria-invalid and aria-describedby for the control of `field`. */
    marks: (field: string) => ({
      'aria-invalid': messageOf(field) ? true : undefined,
      'aria-describedby': messageOf(field) ? `${controlId(field)}-error` : undefined,
    }),
    /** The API's words for one field, beside it. */
    beside: (field: string) =>
      messageOf(field) && (
        <span id={`${controlId(field)}-error`} class="field-error">
          {field}: {messageOf(field)}
        </span>
      ),
  };
}
