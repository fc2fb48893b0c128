// Fleet table presentation: column list, text filter, sort order. The rows
// themselves come from Rust (core's fleet rows, the TUI's); this only orders
// and narrows what is shown, with the TUI's rules (missing numbers last,
// ties by cluster/namespace/name).

import type { FleetRow } from './types';

export type FleetSortKey =
  | 'cluster'
  | 'namespace'
  | 'name'
  | 'kind'
  | 'model'
  | 'version'
  | 'ready'
  | 'rollout'
  | 'rps'
  | 'p99'
  | 'errors'
  | 'drift'
  | 'age';

type Num = number | null | undefined;

function numCmp(a: Num, b: Num, desc: boolean): number {
  const fa = a !== null && a !== undefined && Number.isFinite(a);
  const fb = b !== null && b !== undefined && Number.isFinite(b);
  if (fa && fb) return desc ? (b as number) - (a as number) : (a as number) - (b as number);
  if (fa) return -1;
  if (fb) return 1;
  return 0;
}

function strCmp(a: string | null | undefined, b: string | null | undefined, desc: boolean): number {
  // Rust's Option ordering: None before Some.
  const x = a ?? null;
  const y = b ?? null;
  let o: number;
  if (x === null && y === null) o = 0;
  else if (x === null) o = -1;
  else if (y === null) o = 1;
  else o = x < y ? -1 : x > y ? 1 : 0;
  return desc ? -o : o;
}

function versionNum(v: string | null | undefined): number | null {
  if (v === null || v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

function byKey(x: FleetRow, y: FleetRow, key: FleetSortKey, desc: boolean): number {
  switch (key) {
    case 'cluster':
      return strCmp(x.cluster, y.cluster, desc);
    case 'namespace':
      return strCmp(x.namespace, y.namespace, desc);
    case 'name':
      return strCmp(x.name, y.name, desc);
    case 'kind':
      return strCmp(x.kind, y.kind, desc);
    case 'model':
      return strCmp(x.model, y.model, desc);
    case 'version':
      return numCmp(versionNum(x.version), versionNum(y.version), desc);
    case 'ready': {
      const o = x.ready - y.ready || x.desired - y.desired;
      return desc ? -o : o;
    }
    case 'rollout':
      return strCmp(x.rollout, y.rollout, desc);
    case 'rps':
      return numCmp(x.rps, y.rps, desc);
    case 'p99':
      return numCmp(x.p99_ms, y.p99_ms, desc);
    case 'errors':
      return numCmp(x.error_pct, y.error_pct, desc);
    case 'drift':
      return numCmp(x.drift_psi, y.drift_psi, desc);
    case 'age': {
      // Youngest first, as the TUI's age column.
      const o = Number(y.created_at) - Number(x.created_at);
      return desc ? -o : o;
    }
  }
}

/** Rows sorted by `key` (a new array); ties keep cluster/namespace/name order. */
export function sortRows(rows: readonly FleetRow[], key: FleetSortKey, desc: boolean): FleetRow[] {
  return [...rows].sort(
    (x, y) =>
      byKey(x, y, key, desc) ||
      strCmp(x.cluster, y.cluster, false) ||
      strCmp(x.namespace, y.namespace, false) ||
      strCmp(x.name, y.name, false),
  );
}

/**
 * Rows matching every word of `query` (case-insensitive): a word matches the
 * cluster, namespace, name, kind, model, version or rollout; `key=value`
 * matches a label.
 */
export function filterRows(rows: readonly FleetRow[], query: string): FleetRow[] {
  const words = query.toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return [...rows];
  return rows.filter((r) => words.every((w) => matches(r, w)));
}

function matches(r: FleetRow, w: string): boolean {
  const eq = w.indexOf('=');
  if (eq > 0) {
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    const labels = (r.labels ?? {}) as Record<string, string | undefined>;
    return Object.entries(labels).some(
      ([lk, lv]) => lk.toLowerCase() === k && (lv ?? '').toLowerCase().includes(v),
    );
  }
  return [r.cluster, r.namespace, r.name, r.kind, r.model ?? '', r.version ?? '', r.rollout].some(
    (f) => f.toLowerCase().includes(w),
  );
}
