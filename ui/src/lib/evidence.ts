// Layout helpers for the comparison's evidence (schema, data, curves):
// words and chart points from what Rust computed; nothing is decided here.

import type { RawPoint } from './chart';
import type { CurvePair } from './gen/CurvePair';
import type { DatasetInput } from './gen/DatasetInput';
import type { DataVerdict } from './gen/DataVerdict';
import type { MetricPoint } from './gen/MetricPoint';
import type { ModelSchema } from './gen/ModelSchema';
import type { SchemaDiff } from './gen/SchemaDiff';

/** A side's history as chart points: x = training step, NaN (null on the wire) a gap. */
export function stepPoints(points: readonly MetricPoint[]): RawPoint[] {
  return points.map((p) => [p.step, Number.isFinite(p.value) ? p.value : null] as const);
}

/** The steps both sides cover together, `[first, last]`; null when neither has a point. */
export function stepRange(pair: CurvePair): [number, number] | null {
  const steps = [...pair.a, ...pair.b].map((p) => p.step);
  if (steps.length === 0) return null;
  return [Math.min(...steps), Math.max(...steps)];
}

/** `2 changed, 6 unchanged, 2 breaking` (the TUI's summary line). */
export function schemaSummary(d: SchemaDiff): string {
  const breaking = d.changes.filter((c) => c.breaking).length;
  return `${d.changes.length} changed, ${d.unchanged} unchanged, ${breaking} breaking`;
}

/** Why a side has no signature to compare, or null when it has one. */
export function missingSchema(s: ModelSchema): string | null {
  switch (s.state) {
    case 'signature':
      return null;
    case 'no_signature':
      return 'logged without a signature';
    case 'no_model_file':
      return 'no MLmodel file (not an MLflow model)';
  }
}

/** The core's phrase for a lineage verdict. */
export function verdictPhrase(v: DataVerdict): string {
  switch (v) {
    case 'same_data':
      return 'same data';
    case 'different_data':
      return 'different data';
    case 'unknown':
      return 'no dataset inputs to compare';
  }
}

/** `name@digest8`, or `—` when the side has no dataset in that role. */
export function datasetLabel(d: DatasetInput | null): string {
  return d ? `${d.name}@${d.digest.slice(0, 8)}` : '—';
}
