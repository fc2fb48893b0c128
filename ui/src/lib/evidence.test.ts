import { describe, expect, it } from 'vitest';
import { datasetLabel, missingSchema, schemaSummary, stepPoints, stepRange, verdictPhrase } from './evidence';
import type { SchemaDiff } from './gen/SchemaDiff';

const sig = { inputs: [], outputs: [], params: [], input_example: null };
const spec = { name: 'x', kind: 'long', required: true };

describe('evidence layout', () => {
  it('puts steps on x and keeps NaN (null on the wire) as a gap', () => {
    const pts = [
      { step: 0, at: 1, value: 0.5 },
      { step: 1, at: 2, value: null as unknown as number },
      { step: 2, at: 3, value: Number.NaN },
      { step: 3, at: 4, value: 0.25 },
    ];
    expect(stepPoints(pts)).toEqual([
      [0, 0.5],
      [1, null],
      [2, null],
      [3, 0.25],
    ]);
  });

  it('spans the steps of both sides, and nothing when neither has a point', () => {
    const p = (step: number) => ({ step, at: 0, value: 1 });
    expect(stepRange({ metric: 'm', a: [p(5), p(9)], b: [p(2), p(30)] })).toEqual([2, 30]);
    expect(stepRange({ metric: 'm', a: [], b: [p(7)] })).toEqual([7, 7]);
    expect(stepRange({ metric: 'm', a: [], b: [] })).toBeNull();
  });

  it('counts changed, unchanged and breaking columns', () => {
    const d: SchemaDiff = {
      a: { state: 'signature', signature: sig },
      b: { state: 'signature', signature: sig },
      changes: [
        { part: 'input', name: 'x', change: 'added', a: null, b: spec, breaking: true, reason: 'r' },
        { part: 'output', name: 'y', change: 'removed', a: spec, b: null, breaking: false, reason: 'r' },
      ],
      unchanged: 4,
      breaking: true,
      comparable: true,
    };
    expect(schemaSummary(d)).toBe('2 changed, 4 unchanged, 1 breaking');
  });

  it('names why a side has no signature and the verdict as the core words it', () => {
    expect(missingSchema({ state: 'signature', signature: sig })).toBeNull();
    expect(missingSchema({ state: 'no_signature' })).toBe('logged without a signature');
    expect(missingSchema({ state: 'no_model_file' })).toMatch(/no MLmodel/);
    expect(verdictPhrase('same_data')).toBe('same data');
    expect(verdictPhrase('different_data')).toBe('different data');
    expect(verdictPhrase('unknown')).toBe('no dataset inputs to compare');
  });

  it('labels a dataset by name and short digest', () => {
    const d = { name: 'feat', digest: 'ce914d4600ff', source_type: 's3', source: 's', context: 'training', rows: 1, features: [] };
    expect(datasetLabel(d)).toBe('feat@ce914d46');
    expect(datasetLabel(null)).toBe('—');
  });
});
