import { describe, expect, it } from 'vitest';
import { annotationSchemaFor } from '../../shared/domain/annotation';

// Submissions reuse validation schemas per (project type, labels, image size). Reuse must never let a stale label
// set or another image's bounds decide.

const project = { type: 'objectDetection' as const, labels: [{ name: 'cat' }, { name: 'dog' }] };
const box = (label: string, x: number) => ({ label, x, y: 0, width: 10, height: 10 });

describe('annotation schema reuse', () => {
  it('reuses the schema for the same project and image size', () => {
    expect(annotationSchemaFor(project, { width: 64, height: 48 })).toBe(
      annotationSchemaFor({ ...project, labels: [...project.labels] }, { width: 64, height: 48 }),
    );
  });

  it('a label added to the project is accepted at once', () => {
    const image = { width: 64, height: 48 };
    expect(annotationSchemaFor(project, image).safeParse({ boxes: [box('bird', 0)] }).success).toBe(false);
    const grown = { ...project, labels: [...project.labels, { name: 'bird' }] };
    expect(annotationSchemaFor(grown, image).safeParse({ boxes: [box('bird', 0)] }).success).toBe(true);
  });

  it('each image size keeps its own bounds', () => {
    const inWide = { boxes: [box('cat', 100)] };
    expect(annotationSchemaFor(project, { width: 64, height: 48 }).safeParse(inWide).success).toBe(false);
    expect(annotationSchemaFor(project, { width: 640, height: 48 }).safeParse(inWide).success).toBe(true);
    expect(annotationSchemaFor(project, { width: 64, height: 48 }).safeParse(inWide).success).toBe(false);
  });

  it('keeps classification and detection apart', () => {
    const image = { width: 64, height: 48 };
    const classification = { ...project, type: 'imageClassification' as const };
    expect(annotationSchemaFor(classification, image).safeParse({ labels: ['cat'] }).success).toBe(true);
    expect(annotationSchemaFor(project, image).safeParse({ labels: ['cat'] }).success).toBe(false);
  });
});
