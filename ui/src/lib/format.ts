// Formatting only: numbers, times, ages and labels as text. Nothing here
// decides anything (winners, verdicts and allowed actions come from Rust).

/** Milliseconds since the epoch; ts-rs may type Rust's i64 as bigint. */
export type Millis = number | bigint;

const DASH = '—';

/** Plain number for arithmetic on a timestamp (`null` stays `null`). */
export function ms(t: Millis | null | undefined): number | null {
  if (t === null || t === undefined) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

/** `3s`, `4m`, `2h`, `5d` (`2h 5m` below ten hours); `—` for no time. */
export function formatAge(from: Millis | null | undefined, now: number): string {
  const t = ms(from);
  if (t === null) return DASH;
  const d = Math.max(0, now - t);
  const s = Math.floor(d / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 10) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `2026-12-05 16:20 UTC`; `—` for no time. */
export function formatTime(t: Millis | null | undefined): string {
  const n = ms(t);
  if (n === null) return DASH;
  const d = new Date(n);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`
  );
}

/** `16:20` (UTC) for chart axes and read-outs. */
export function formatClock(t: Millis): string {
  const d = new Date(Number(t));
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/**
 * A number with about `digits` significant digits, without trailing zeros:
 * `0.912`, `1,234`, `3.1e-5`; `—` for null, NaN or infinity.
 */
export function formatNumber(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e15) {
    if (a >= 10 ** digits) return Math.round(v).toLocaleString('en-US');
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
    return trimZeros(v.toFixed(Math.min(decimals, 12)));
  }
  return v.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, 'e');
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** A delta with its sign: `+0.007`, `-12`, `0`; `—` when unknown. */
export function formatDelta(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  const s = formatNumber(v, digits);
  return v > 0 ? `+${s}` : s;
}

/** `12.5%` from a value already in percent. */
export function formatPercent(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return `${formatNumber(v, digits)}%`;
}

/** `120 ms` from milliseconds. */
export function formatMillis(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  return `${formatNumber(v, 3)} ms`;
}

/** `snake_case` or `SCREAMING_CASE` words as a label: `rolled_back` -> `Rolled back`. */
export function humanize(word: string): string {
  const s = word.replace(/_/g, ' ').toLowerCase().trim();
  return s === '' ? s : s[0].toUpperCase() + s.slice(1);
}

/** `n/min` approvals, e.g. `1/2`. */
export function formatApprovals(given: number, min: number): string {
  return `${given}/${min}`;
}

/** `prod-eu/payments/fraud-api` for a workload. */
export function workloadPath(w: { cluster: string; namespace: string; name: string }): string {
  return `${w.cluster}/${w.namespace}/${w.name}`;
}

/** `v7` for a version string (`7`); `—` when absent. */
export function formatVersion(v: string | null | undefined): string {
  if (v === null || v === undefined || v === '') return DASH;
  return `v${v}`;
}

/** Ready replicas as `3/5`. */
export function formatReady(ready: number, desired: number): string {
  return `${ready}/${desired}`;
}
