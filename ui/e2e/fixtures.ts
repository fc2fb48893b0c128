// The world the end-to-end tests show, typed against the types ts-rs
// generates from Rust (svelte-check / tsc check this file), so a change on
// the Rust side breaks the fixtures at `npm run check`, not silently.
// The mocked IPC (mock.js) answers each command from these values; it
// computes nothing.

import type {
  AuditView,
  BackendView,
  CardView,
  Comparison,
  ExecutionReport,
  FleetRow,
  HealthChart,
  InboxItem,
  MetricHistory,
  ModelVersion,
  PromotionDetail,
  PromotionStatus,
  Review,
  ServingChanges,
  SessionInfo,
} from '../src/lib/types';
import type { Promotion } from '../src/lib/gen/Promotion';
import type { Approval } from '../src/lib/gen/Approval';
import type { ActionCheck } from '../src/lib/gen/ActionCheck';
import type { HealthSeries } from '../src/lib/gen/HealthSeries';
import type { Timestamp } from '../src/lib/gen/Timestamp';
import { curvesOf, evidenceOf } from './fixtures-evidence';

/** The XSS payload put in a model name and a model tag. */
export const XSS = '<img src=x onerror=window.__pwned=1><script>window.__pwned=1</script>';

/** Fixed "now" of the fixtures (the page's clock is not mocked; ages are relative). */
export const NOW = Date.UTC(2026, 11, 5, 16, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;

function t(ms: number): Timestamp {
  return ms;
}

export const ME = 'dave';

const backends: BackendView[] = [
  { backend: 'cluster', state: 'ready', label: 'ready', detail: null, stale_since: null },
  { backend: 'registry', state: 'ready', label: 'ready', detail: null, stale_since: null },
  {
    backend: 'metrics',
    state: 'stale',
    label: 'stale',
    detail: 'metrics unreachable: connection refused (at http://prometheus:9090)',
    stale_since: t(NOW - 7 * MIN),
  },
];

export const session: SessionInfo = {
  profile: 'sandbox',
  sandbox: true,
  banner: 'No profile is configured: showing the simulated world (modeldeck demo).',
  user: ME,
  profiles: ['prod-eu', 'staging'],
  backends,
};

const targets = [
  { cluster: 'prod-eu', namespace: 'risk', kind: 'deployment' as const, name: 'fraud-api' },
  { cluster: 'prod-eu', namespace: 'risk', kind: 'inference_service' as const, name: 'fraud-kserve' },
];

const gates: Promotion['gates'] = [
  { name: 'metric:auc', status: 'pass', detail: 'auc 0.9312 vs 0.9188 (>= -0.005)' },
  { name: 'metric:latency_p99_ms', status: 'pass', detail: 'latency_p99_ms 41.2 vs 44.8 (<= +5%)' },
  { name: 'drift', status: 'inconclusive', detail: 'amount: PSI 0.14 on 380 rows (min 1,000): too few rows' },
  { name: 'card', status: 'pass', detail: 'intended_use, owner, limitations present' },
  { name: 'approvals', status: 'pending', detail: '0 of 2 approvals (requester carol excluded)' },
];

function promotionOf(id: string, model: string, version: string, prev: string, approvals: Approval[]): Promotion {
  return {
    id,
    model,
    version,
    previous_version: prev,
    alias: 'champion',
    targets,
    requested_by: 'carol',
    reason: 'Retrained on November data; better recall on card-not-present fraud.',
    requested_at: t(NOW - 2 * HOUR - 5 * MIN),
    state: 'requested',
    approvals,
    gates,
  };
}

/** What serving the candidate changes in each target, as `promote status` reads it. */
function servingOf(p: Promotion): ServingChanges[] {
  const uri = (v: string) => `models:/${p.model}/${v}`;
  return p.targets.map((target) => ({
    target,
    candidate: p.version,
    changes:
      target.kind === 'inference_service'
        ? [
            { path: 'metadata.annotations[modeldeck.io/model-version]', before: p.previous_version, after: p.version },
            { path: 'spec.predictor.canaryTrafficPercent', before: '10', after: null },
            { path: 'spec.predictor.model.storageUri', before: uri(p.previous_version ?? ''), after: uri(p.version) },
          ]
        : [
            { path: 'spec.template.metadata.annotations[modeldeck.io/model-version]', before: p.previous_version, after: p.version },
            { path: 'spec.template.spec.containers[model-server].env[MODEL_URI]', before: uri(p.previous_version ?? ''), after: uri(p.version) },
          ],
    already_on_candidate: false,
    unavailable: null,
  }));
}

function statusOf(p: Promotion): PromotionStatus {
  return {
    promotion: p,
    phase: null,
    outcome: null,
    not_counted: [],
    problems: [],
    drift: [],
    serving_changes: p.state === 'requested' || p.state === 'approved' ? servingOf(p) : [],
    verification: [],
  };
}

export const PROMOTION_ID = 'fraud-detector-8-champion-1733407200';
export const XSS_ID = 'xss-model-3-champion';

const blockedExecute = (have: number): ActionCheck => ({
  action: 'execute',
  blocked: `${have} of 2 required approvals count; 2 needed`,
  note: null,
});
const blockedRollback: ActionCheck = {
  action: 'rollback',
  blocked: 'the promotion is Requested; only a promoted or executing one can be rolled back',
  note: null,
};
const blockedCancel: ActionCheck = {
  action: 'cancel',
  blocked: 'only the requester carol may cancel it; reject it instead',
  note: null,
};

function reviewOf(p: Promotion, decided: Approval | null): Review {
  const already = decided
    ? `you already ${decided.decision === 'approve' ? 'approved' : 'rejected'} at 2026-12-05T16:00:00Z; a second decision does not count`
    : null;
  return {
    actor: ME,
    status: statusOf(decided ? { ...p, approvals: [decided] } : p),
    requested_run: 'run-8f2c',
    candidate_run: 'run-8f2c',
    approvals: decided
      ? [
          {
            approval: decided,
            champion: p.previous_version,
            expires_at: t(NOW + 7 * 24 * HOUR),
            counts: decided.decision === 'approve',
            problem: null,
          },
        ]
      : [],
    exec: null,
    min_approvals: 2,
    actions: [
      { action: 'approve', blocked: already, note: null },
      { action: 'reject', blocked: already, note: null },
      blockedExecute(decided?.decision === 'approve' ? 1 : 0),
      blockedRollback,
      blockedCancel,
    ],
  };
}

function version(model: string, v: string, aliases: string[], tags: Record<string, string>, ageH: number): ModelVersion {
  return {
    model,
    version: v,
    run_id: `run-${v}`,
    source: `models:/${model}/${v}`,
    status: 'READY',
    aliases,
    tags,
    description: null,
    user: v === '8' ? 'carol' : 'erin',
    created_at: t(NOW - ageH * HOUR),
  };
}

function comparisonOf(model: string, tagB: string): Comparison {
  const a = version(model, '7', ['champion'], { team: 'risk', framework: 'xgboost' }, 24 * 30);
  const b = version(model, '8', ['challenger'], { team: 'risk', framework: 'lightgbm', note: tagB }, 3);
  return {
    model,
    a: { version: a, run: { run_id: 'run-7', metrics: { auc: 0.9188, latency_p99_ms: 44.8, logloss: 0.212 }, params: { max_depth: '6', learning_rate: '0.1' }, tags: {}, started_at: null } },
    b: { version: b, run: { run_id: 'run-8f2c', metrics: { auc: 0.9312, latency_p99_ms: 41.2, logloss: 0.219 }, params: { max_depth: '8', learning_rate: '0.1' }, tags: {}, started_at: null } },
    metrics: [
      { key: 'auc', a: 0.9188, b: 0.9312, delta: 0.0124, direction: 'higher_is_better', winner: 'b', gate_tolerance: 0.002 },
      { key: 'latency_p99_ms', a: 44.8, b: 41.2, delta: -3.6, direction: 'lower_is_better', winner: 'b' },
      { key: 'logloss', a: 0.212, b: 0.219, delta: 0.007, direction: 'lower_is_better', winner: 'a' },
    ],
    params: [
      { key: 'learning_rate', a: '0.1', b: '0.1', differs: false },
      { key: 'max_depth', a: '6', b: '8', differs: true },
    ],
    tags: [
      { key: 'framework', a: 'xgboost', b: 'lightgbm', differs: true },
      { key: 'note', a: null, b: tagB, differs: true },
      { key: 'team', a: 'risk', b: 'risk', differs: false },
    ],
  };
}

function cardOf(model: string): CardView {
  return {
    model,
    version: '8',
    version_source: 'given',
    summary: 'Scores card transactions for fraud in real time.',
    fields: [
      { key: 'intended_use', label: 'Intended use', value: 'Card-not-present fraud scoring for EU merchants.', source: { kind: 'version_tag', key: 'modeldeck.card.intended_use' } },
      { key: 'limitations', label: 'Limitations', value: 'Not validated for card-present or non-EU traffic.', source: { kind: 'model_description', heading: 'Limitations' } },
      { key: 'owner', label: 'Owner', value: 'risk-ml team', source: { kind: 'model_tag', key: 'owner' } },
      { key: 'contact', label: 'Contact', value: null, source: null },
      { key: 'training_data', label: 'Training data', value: 'transactions 2026-01..2026-11, 41M rows', source: { kind: 'version_tag', key: 'modeldeck.card.training_data' } },
      { key: 'evaluation', label: 'Evaluation', value: 'Holdout November week 4; AUC 0.931.', source: { kind: 'version_description', heading: 'Evaluation' } },
      { key: 'fairness', label: 'Fairness', value: null, source: { kind: 'run_metrics' } },
      { key: 'license', label: 'License', value: 'internal', source: { kind: 'model_tag', key: 'license' } },
    ],
    fairness: [{ attribute: 'age_band', spd: -0.031, dir: 0.94 }],
    metrics: { auc: 0.9312 },
    required: ['intended_use', 'owner', 'limitations'],
    missing: [],
  };
}

function detailOf(p: Promotion, decided: Approval | null, tagB: string): PromotionDetail {
  return {
    review: reviewOf(p, decided),
    comparison: comparisonOf(p.model, tagB),
    comparison_error: null,
    card: cardOf(p.model),
    card_error: null,
  };
}

const main = promotionOf(PROMOTION_ID, 'fraud-detector', '8', '7', []);
const xss = promotionOf(XSS_ID, XSS, '3', '2', []);

function inboxItem(p: Promotion): InboxItem {
  return {
    status: statusOf(p),
    gates: { passed: 3, failed: 0, pending: 1, inconclusive: 1 },
    approvals: 0,
    min_approvals: 2,
    link: `modeldeck://promotion/${encodeURIComponent(p.id)}?profile=sandbox`,
  };
}

export const inbox: InboxItem[] = [inboxItem(main), inboxItem(xss)];

/** A third item, pushed by an `inbox` event in the tests. */
export const inboxAfterEvent: InboxItem[] = [
  ...inbox,
  inboxItem(promotionOf('churn-model-12-champion', 'churn-model', '12', '11', [])),
];

function decision(kind: 'approve' | 'reject', comment: string): Approval {
  return {
    approver: ME,
    decision: kind,
    comment,
    at: t(NOW),
    bound_workloads: { 'prod-eu/risk/fraud-api': 'uid-1@4711' },
    bound_run: 'run-8f2c',
  };
}

export const APPROVED_ID = 'churn-model-12-champion';

/** An approved promotion whose execute check is allowed with a note (inconclusive gates). */
function approvedDetail(): PromotionDetail {
  const p: Promotion = { ...promotionOf(APPROVED_ID, 'churn-model', '12', '11', []), state: 'approved' };
  const d = detailOf(p, null, 'ready');
  d.review.actions = [
    { action: 'approve', blocked: 'you already approved at 2026-12-05T15:00:00Z; a second decision does not count', note: null },
    { action: 'reject', blocked: 'you already approved at 2026-12-05T15:00:00Z; a second decision does not count', note: null },
    { action: 'execute', blocked: null, note: 'inconclusive gates need your confirmation: drift (amount: PSI 0.14 on 380 rows (min 1,000): too few rows)' },
    blockedRollback,
    blockedCancel,
  ];
  return d;
}

export const APPROVED_CRON_ID = 'churn-model-13-champion';

/** An approved promotion of a nightly CronJob alone: execute offers "Run now" (issue 14). */
function approvedCronDetail(): PromotionDetail {
  const cron = [{ cluster: 'prod-eu', namespace: 'commerce', kind: 'cron_job' as const, name: 'churn-batch-scoring' }];
  const p: Promotion = { ...promotionOf(APPROVED_CRON_ID, 'churn-model', '13', '12', []), targets: cron, state: 'approved' };
  const d = detailOf(p, null, 'ready');
  d.review.actions = [
    { action: 'approve', blocked: 'you already approved at 2026-12-05T15:00:00Z; a second decision does not count', note: null },
    { action: 'reject', blocked: 'you already approved at 2026-12-05T15:00:00Z; a second decision does not count', note: null },
    { action: 'execute', blocked: null, note: null },
    blockedRollback,
    blockedCancel,
  ];
  return d;
}

export const details: Record<string, PromotionDetail> = {
  [PROMOTION_ID]: detailOf(main, null, 'ready for review'),
  [XSS_ID]: detailOf(xss, null, XSS),
  [APPROVED_ID]: approvedDetail(),
  [APPROVED_CRON_ID]: approvedCronDetail(),
};

/** What execute answers. */
export const executed: ExecutionReport = {
  id: APPROVED_ID,
  state: 'promoted',
  wrote: true,
  gates,
  note: 'churn-model @champion -> v12; 2 workloads rolled out',
};

/** What approve / reject answer (the review after the decision, as Rust would send it). */
export function reviewAfter(kind: 'approve' | 'reject', comment: string): Review {
  return reviewOf(main, decision(kind, comment));
}

function series(phase: number, base: number, amp: number): HealthSeries['series'] {
  const points: Array<[number, number | null]> = [];
  const start = NOW - 6 * HOUR;
  for (let i = 0; i <= 240; i++) {
    const at = start + i * 90_000;
    const gap = i >= 150 && i < 156;
    points.push([at, gap ? null : base + amp * (0.5 + 0.5 * Math.sin(i / 14 + phase)) + (i > 200 ? amp * 0.6 : 0)]);
  }
  return { points };
}

export const health: HealthChart = {
  health: {
    target: targets[0],
    model: 'fraud-detector',
    served: [
      { version: '7', role: 'stable', traffic_percent: 90 },
      { version: '8', role: 'canary', traffic_percent: 10 },
    ],
    per_version: false,
    per_version_note: 'versions mixed: the metrics backend cannot split series by version',
    range: { start: t(NOW - 6 * HOUR), end: t(NOW), step_ms: t(90_000) },
    signals: [
      { signal: 'latency_p50', series: series(0, 0.012, 0.004), error: null, by_version: [] },
      { signal: 'latency_p95', series: series(0.5, 0.024, 0.008), error: null, by_version: [] },
      { signal: 'latency_p99', series: series(1, 0.036, 0.012), error: null, by_version: [] },
      { signal: 'request_rate', series: series(2, 180, 60), error: null, by_version: [] },
      { signal: 'error_ratio', series: series(3, 0.002, 0.003), error: null, by_version: [] },
    ],
  },
  markers: [
    { at: t(NOW - 5 * HOUR), kind: 'deploy', label: 'v7' },
    { at: t(NOW - 2 * HOUR), kind: 'deploy', label: 'canary v8 10%' },
  ],
  thresholds: [
    { signal: 'latency_p99', value: 0.05, low_is_bad: false, label: 'SLO p99' },
    { signal: 'error_ratio', value: 0.01, low_is_bad: false, label: 'SLO errors' },
  ],
};

/** `count` workloads named `wl-00000`...; one serves the XSS model. */
export function fleet(count: number): FleetRow[] {
  const kinds = ['deployment', 'inference_service', 'cron_job', 'stream_consumer'] as const;
  const models = ['fraud-detector', 'churn-model', 'ltv-estimator', 'credit-scorer'];
  const rows: FleetRow[] = [];
  for (let i = 0; i < count; i++) {
    const model = i === 3 ? XSS : models[i % models.length];
    rows.push({
      cluster: i % 3 === 0 ? 'prod-eu' : i % 3 === 1 ? 'prod-us' : 'staging',
      namespace: ['risk', 'growth', 'payments', 'ml'][i % 4],
      name: `wl-${String(i).padStart(5, '0')}`,
      kind: kinds[i % kinds.length],
      model,
      version: String(1 + (i % 9)),
      aliases: i % 9 === 6 ? ['champion'] : [],
      ready: i % 17 === 0 ? 1 : 3,
      desired: 3,
      rollout: i % 17 === 0 ? 'Progressing' : i % 101 === 0 ? 'Degraded' : 'Available',
      rollout_detail: i % 17 === 0 ? '1/3 updated' : null,
      rps: i % 4 === 2 ? null : 10 + (i % 50) * 3.7,
      p99_ms: i % 4 === 2 ? null : 20 + (i % 30) * 1.9,
      error_pct: i % 4 === 2 ? null : (i % 13) * 0.07,
      drift_psi: (i % 23) / 100,
      drift: i % 23 > 20 ? 'drifting' : i % 23 > 10 ? 'warning' : 'ok',
      created_at: t(NOW - (i % 400) * HOUR),
      labels: { team: ['risk', 'growth'][i % 2] },
    });
  }
  return rows;
}

export const versions: Record<string, ModelVersion[]> = {
  'fraud-detector': [
    version('fraud-detector', '8', ['challenger'], { team: 'risk' }, 3),
    version('fraud-detector', '7', ['champion'], { team: 'risk' }, 24 * 30),
    version('fraud-detector', '6', [], { team: 'risk' }, 24 * 60),
  ],
};

/** `metric_history` answers by model and metric (`''`: none asked, Rust's default). */
export const metricHistory: Record<string, Record<string, MetricHistory>> = {
  'fraud-detector': {
    '': {
      model: 'fraud-detector',
      metrics: ['auc', 'f1', XSS],
      metric: 'auc',
      points: [
        { version: '6', number: 6, value: 0.901, aliases: [] },
        { version: '7', number: 7, value: 0.921, aliases: ['champion'] },
        { version: '8', number: 8, value: 0.934, aliases: ['challenger'] },
      ],
      missing: [],
    },
    f1: {
      model: 'fraud-detector',
      metrics: ['auc', 'f1', XSS],
      metric: 'f1',
      points: [
        { version: '7', number: 7, value: 0.61, aliases: ['champion'] },
        { version: '8', number: 8, value: 0.64, aliases: ['challenger'] },
      ],
      missing: [{ version: '6', number: 6, aliases: [], reason: 'its run did not log f1' }],
    },
    [XSS]: {
      model: 'fraud-detector',
      metrics: ['auc', 'f1', XSS],
      metric: XSS,
      points: [],
      missing: [
        { version: '6', number: 6, aliases: [], reason: `its run did not log ${XSS}` },
        { version: '7', number: 7, aliases: ['champion'], reason: `its run did not log ${XSS}` },
        { version: '8', number: 8, aliases: ['challenger'], reason: `its run did not log ${XSS}` },
      ],
    },
  },
};

export const comparison: Comparison = comparisonOf('fraud-detector', 'ready for review');

export const audit: AuditView = {
  journal: '/home/dave/.local/share/modeldeck/journal.jsonl',
  total: 3,
  verify: { ok: true, signed: false, count: 3, head: 'b41d9e0c77', error: null },
  entries: [
    {
      seq: 1,
      prev: '0000000000',
      hash: '5f1a2b3c4d5e6f',
      record: {
        entry: { at: t(NOW - 3 * HOUR), actor: 'erin', action: 'alias.moved', subject: 'model fraud-detector v7', before: { alias: 'champion', version: '6' }, after: { alias: 'champion', version: '7' }, outcome: 'ok' },
      },
    },
    {
      seq: 2,
      prev: '5f1a2b3c4d5e6f',
      hash: '8e7d6c5b4a3f2e',
      record: {
        entry: { at: t(NOW - 2 * HOUR - 5 * MIN), actor: 'carol', action: 'promotion.requested', subject: 'model fraud-detector v8', before: null, after: { state: 'requested' }, outcome: 'ok' },
        promotion: PROMOTION_ID,
      },
    },
    {
      seq: 3,
      prev: '8e7d6c5b4a3f2e',
      hash: 'b41d9e0c77aa01',
      record: {
        entry: { at: t(NOW - HOUR), actor: 'carol', action: 'promotion.approved', subject: 'model fraud-detector v8', before: null, after: null, outcome: 'refused: four-eyes rule' },
        promotion: PROMOTION_ID,
      },
    },
  ],
};

/** Everything mock.js serves, as one JSON-able object. */
export function world(fleetSize: number) {
  return {
    session,
    inbox,
    inboxAfterEvent,
    details,
    approved: reviewAfter('approve', '__COMMENT__'),
    rejected: reviewAfter('reject', '__COMMENT__'),
    executed,
    health,
    fleet: fleet(fleetSize),
    versions,
    metricHistory,
    comparison,
    evidence: evidenceOf(XSS),
    curves: curvesOf(NOW, XSS),
    audit,
    promotions: { 'fraud-detector': [statusOf(main)] } as Record<string, PromotionStatus[]>,
  };
}

export type World = ReturnType<typeof world>;
