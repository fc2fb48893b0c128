// The comparison's evidence (issue 13) the mocked `compare_evidence` and
// `compare_curve` answer with, typed against the ts-rs types (checked by
// `npm run check`). Kept apart from fixtures.ts, which builds the world
// with them; `hostile` is the XSS payload, put in a column name, its
// reason, a dataset context and a metric name.

import type { CurvePair } from '../src/lib/gen/CurvePair';
import type { DatasetInput } from '../src/lib/gen/DatasetInput';
import type { EvidenceView } from '../src/lib/gen/EvidenceView';
import type { MetricPoint } from '../src/lib/gen/MetricPoint';
import type { Signature } from '../src/lib/gen/Signature';

const col = (name: string, kind: string, required = true) => ({ name, kind, required });

function signature(inputs: ReturnType<typeof col>[]): Signature {
  return { inputs, outputs: [col('score', 'double')], params: [], input_example: null };
}

function dataset(name: string, digest: string, context: string | null, rows: number): DatasetInput {
  return { name, digest, source_type: 's3', source: `s3://ml-data/${name}`, context, rows, features: [] };
}

/** `model`'s evidence: two breaking changes (one a hostile column), one data change. */
export function evidenceOf(hostile: string): EvidenceView {
  const a = signature([col('amount', 'double'), col('country', 'string'), col('merchant_id', 'string')]);
  const b = signature([col('amount', 'double'), col('country', 'long'), col('merchant_id', 'string'), col(hostile, 'string')]);
  return {
    schema: {
      a: { state: 'signature', signature: a },
      b: { state: 'signature', signature: b },
      changes: [
        {
          part: 'input',
          name: 'country',
          change: 'retyped',
          a: col('country', 'string'),
          b: col('country', 'long'),
          breaking: true,
          reason: 'input "country" changed type string -> long: requests sending string fail',
        },
        {
          part: 'input',
          name: hostile,
          change: 'added',
          a: null,
          b: col(hostile, 'string'),
          breaking: true,
          reason: `B requires input "${hostile}": requests without it fail`,
        },
      ],
      unchanged: 3,
      breaking: true,
      comparable: true,
    },
    schema_error: null,
    lineage: {
      verdict: 'different_data',
      rows: [
        {
          context: 'eval',
          a: dataset('fraud-holdout', 'ff3d698e11', 'eval', 8126),
          b: dataset('fraud-holdout', 'ff3d698e11', 'eval', 8126),
          same: true,
        },
        {
          context: 'training',
          a: dataset('fraud-features', 'ce914d4600', 'training', 44070),
          b: dataset('fraud-features', '643c900700', 'training', 50727),
          same: false,
        },
        { context: hostile, a: null, b: dataset(hostile, 'abcdef0123', hostile, 12), same: false },
      ],
    },
    lineage_error: null,
    curve_metrics: ['logloss', 'auc', hostile],
  };
}

/** A's and B's history of a falling loss over `steps` steps, logged a minute apart from `start`. */
function history(steps: number, start: number, floor: number): MetricPoint[] {
  return Array.from({ length: steps }, (_, i) => ({ step: i, at: start + i * 60_000, value: floor + 0.5 / (1 + i / 4) }));
}

/** `compare_curve` answers by metric (a metric not here is `not_found`). */
export function curvesOf(now: number, hostile: string): Record<string, CurvePair> {
  const start = now - 86_400_000;
  return {
    logloss: { metric: 'logloss', a: history(50, start, 0.2), b: history(40, start, 0.21) },
    auc: {
      metric: 'auc',
      a: history(50, start, 0.5).map((p) => ({ ...p, value: 1.4 - p.value })),
      b: history(50, start, 0.5).map((p) => ({ ...p, value: 1.42 - p.value })),
    },
    [hostile]: { metric: hostile, a: history(10, start, 1), b: history(10, start, 1) },
  };
}
