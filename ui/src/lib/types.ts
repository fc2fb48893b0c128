// The IPC types, re-exported from the files ts-rs generates from the Rust
// types (./gen, committed by the desktop crate). Never define or copy a Rust
// type here: this file only names them for the rest of the UI.

export type { ActionCheck } from './gen/ActionCheck';
export type { ActionKind } from './gen/ActionKind';
export type { ApprovalView } from './gen/ApprovalView';
export type { AuditView } from './gen/AuditView';
export type { BackendView } from './gen/BackendView';
export type { CardFieldView } from './gen/CardFieldView';
export type { CardView } from './gen/CardView';
export type { Comparison } from './gen/Comparison';
export type { DesktopError } from './gen/DesktopError';
export type { ExecutionReport } from './gen/ExecutionReport';
export type { FleetRow } from './gen/FleetRow';
export type { GateResult } from './gen/GateResult';
export type { GateSummary } from './gen/GateSummary';
export type { HealthChart } from './gen/HealthChart';
export type { HealthSeries } from './gen/HealthSeries';
export type { HealthView } from './gen/HealthView';
export type { InboxItem } from './gen/InboxItem';
export type { JournalLine } from './gen/JournalLine';
export type { Marker } from './gen/Marker';
export type { MetricDelta } from './gen/MetricDelta';
export type { MetricHistory } from './gen/MetricHistory';
export type { MissingVersion } from './gen/MissingVersion';
export type { ModelVersion } from './gen/ModelVersion';
export type { OpenEvent } from './gen/OpenEvent';
export type { PromotionDetail } from './gen/PromotionDetail';
export type { PromotionStatus } from './gen/PromotionStatus';
export type { Review } from './gen/Review';
export type { ServingChanges } from './gen/ServingChanges';
export type { RollbackReport } from './gen/RollbackReport';
export type { SessionInfo } from './gen/SessionInfo';
export type { Signal } from './gen/Signal';
export type { SignalThreshold } from './gen/SignalThreshold';
export type { SnapshotEvent } from './gen/SnapshotEvent';
export type { ValueDiff } from './gen/ValueDiff';
export type { VersionPoint } from './gen/VersionPoint';
export type { WorkloadRef } from './gen/WorkloadRef';
