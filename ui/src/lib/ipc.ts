// The one typed gateway to the Rust side: one function per Tauri command,
// typed with the types ts-rs generates from the Rust structs (./gen, never
// edited or copied by hand). No component imports `@tauri-apps/api` itself.
// Every rejection becomes an IpcError { code, message }.

import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { normalizeError } from './errors';
import type { Commands, Events } from './gen/commands';
import type {
  AuditView,
  Comparison,
  ExecutionReport,
  FleetRow,
  HealthChart,
  InboxItem,
  MetricHistory,
  ModelVersion,
  OpenEvent,
  PromotionDetail,
  PromotionStatus,
  Review,
  RollbackReport,
  SessionInfo,
  SnapshotEvent,
} from './types';
import type { CurvePair } from './gen/CurvePair';
import type { EvidenceView } from './gen/EvidenceView';

export { IpcError, normalizeError } from './errors';

type Command = keyof Commands;

/**
 * Calls `command` with `args`, both checked against the generated command
 * table (names, argument names and types, result type); rejects with an
 * IpcError.
 */
async function call<K extends Command>(command: K, args: Commands[K]['args']): Promise<Commands[K]['result']> {
  try {
    return await invoke<Commands[K]['result']>(command, args);
  } catch (err) {
    throw normalizeError(err, command);
  }
}

/** Subscribes to `event` with its generated payload type. */
function on<E extends keyof Events>(event: E, handler: (payload: Events[E]) => void): Promise<UnlistenFn> {
  return listen<Events[E]>(event, (e) => handler(e.payload));
}

/** The profile, identity, banner and backend states of this window's session. */
export function sessionInfo(): Promise<SessionInfo> {
  return call('session_info', {});
}

/** Switches to profile `name`; `null` opens the simulated world. */
export function openProfile(name: string | null): Promise<SessionInfo> {
  return call('open_profile', { name });
}

/** Promotions waiting for the current user, across profiles and clusters. */
export function inbox(): Promise<InboxItem[]> {
  return call('inbox', {});
}

/** Every promotion of `model` (`null`: of every model). */
export function promotions(model: string | null): Promise<PromotionStatus[]> {
  return call('promotions', { model });
}

/** One promotion as a reviewer sees it: review, comparison, model card. */
export function promotion(id: string): Promise<PromotionDetail> {
  return call('promotion', { id });
}

/** Approves promotion `id` (the comment may be empty). */
export function approve(id: string, comment: string): Promise<Review> {
  return call('approve', { id, comment });
}

/** Rejects promotion `id`; the Rust side refuses a blank comment too. */
export function reject(id: string, comment: string): Promise<Review> {
  return call('reject', { id, comment });
}

/**
 * Executes an approved promotion. `confirmInconclusive`: the user confirmed
 * the inconclusive gates the execute check's note names (`null`: not asked).
 * `runNow`: start one run of each CronJob target right after the patch and
 * follow it (a failed run rolls back); only for all-CronJob promotions.
 */
export function execute(
  id: string,
  confirmInconclusive: boolean | null = null,
  runNow: boolean | null = null,
): Promise<ExecutionReport> {
  return call('execute', { id, confirmInconclusive, runNow });
}

/** Rolls back a promoted (or executing) promotion. */
export function rollback(id: string, reason: string): Promise<RollbackReport> {
  return call('rollback', { id, reason });
}

/** Every workload, as the TUI's Fleet shows it. */
export function fleet(): Promise<FleetRow[]> {
  return call('fleet', {});
}

/** Every version of `model`, with its aliases. */
export function versions(model: string): Promise<ModelVersion[]> {
  return call('versions', { model });
}

/** Versions `a` and `b` of `model` compared (deltas and winners computed in Rust). */
export function compare(model: string, a: string, b: string): Promise<Comparison> {
  return call('compare', { model, a, b });
}

/**
 * The schema diff and data lineage of versions `a` and `b` of `model`, and
 * the metrics both runs have a history of (each part read, and its error
 * given, separately in Rust).
 */
export function compareEvidence(model: string, a: string, b: string): Promise<EvidenceView> {
  return call('compare_evidence', { model, a, b });
}

/** The training curve of `metric` in the runs of versions `a` and `b` of `model`, oldest step first. */
export function compareCurve(model: string, a: string, b: string, metric: string): Promise<CurvePair> {
  return call('compare_curve', { model, a, b, metric });
}

/**
 * `metric` (`null`: the first by name) across the versions of `model`: one
 * point per version that has it, the others named with why (computed in Rust).
 */
export function metricHistory(model: string, metric: string | null): Promise<MetricHistory> {
  return call('metric_history', { model, metric });
}

/** Where a health chart is asked for: a workload, a window, a width. */
export interface HealthQuery {
  cluster: string;
  namespace: string;
  name: string;
  windowMs: number;
  columns: number;
}

/** A workload's serving health over the window ending now, with its event markers. */
export function health(q: HealthQuery): Promise<HealthChart> {
  return call('health', { ...q });
}

/** Which health chart: the panel's latency, traffic or errors chart. */
export type HealthChartKind = 'latency' | 'traffic' | 'errors';

/** An image format a chart is saved as. */
export type ChartFormat = 'png' | 'svg';

/**
 * Where a health chart to save is: the workload and window `health` was
 * asked for, the chart, the zoom shown (`fromMs`..`toMs`, Unix ms), the
 * format and a plain file name (no path; Rust refuses one).
 */
export interface SaveChartQuery {
  cluster: string;
  namespace: string;
  name: string;
  windowMs: number;
  chart: HealthChartKind;
  fromMs: number;
  toMs: number;
  format: ChartFormat;
  fileName: string;
}

/**
 * Draws a health chart in Rust (the data read again there, drawn as
 * `modeldeck report` draws it) into a new file in the download directory;
 * resolves to the written path.
 */
export function saveChart(q: SaveChartQuery): Promise<string> {
  return call('save_chart', { ...q });
}

/** The audit trail (of `model`, or all when `null`) with its verify status. */
export function audit(model: string | null): Promise<AuditView> {
  return call('audit', { model });
}

/** Calls `handler` on every backend snapshot; resolves to the unlisten function. */
export function onSnapshot(handler: (e: SnapshotEvent) => void): Promise<UnlistenFn> {
  return on('snapshot', handler);
}

/** Calls `handler` with the whole inbox whenever it changes. */
export function onInbox(handler: (items: InboxItem[]) => void): Promise<UnlistenFn> {
  return on('inbox', handler);
}

/**
 * The promotion a deep link asked to open before this window listened (the
 * link the app was started with), once: a second call gives `null`.
 */
export function takeOpen(): Promise<OpenEvent | null> {
  return call('take_open', {});
}

/** Calls `handler` when a deep link asks to open a promotion. */
export function onOpen(handler: (e: OpenEvent) => void): Promise<UnlistenFn> {
  return on('open', handler);
}
