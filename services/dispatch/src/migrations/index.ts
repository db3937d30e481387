import { Messaging1763900000000 } from './1763900000000-messaging';
import { DispatchCore1763900100000 } from './1763900100000-dispatch-core';
import { OpsReadModel1763990000000 } from './1763990000000-ops-read-model';
import { SlaEngine1764000000000 } from '../sla/sla-engine.migration';
import { OpsHotspotShards1764100000000 } from './1764100000000-ops-hotspot-shards';
import { OpsHotspotEvent1764200000000 } from './1764200000000-ops-hotspot-event';
import { OpsHotspotPending1764300000000 } from './1764300000000-ops-hotspot-pending';
import { OutboxNoNotify1764400000000 } from './1764400000000-outbox-no-notify';
import { OpsTaskCaseOutcome1764500000000 } from './1764500000000-ops-task-case-outcome';
import { CasesUnusedIndexes1764600000000 } from './1764600000000-cases-unused-indexes';
import { CaseText1764700000000 } from './1764700000000-case-text';
import { NoColumnStatistics1764800000000 } from './1764800000000-no-column-statistics';

/** Every migration of the dispatch schema, in order. */
export const DISPATCH_MIGRATIONS = [
  Messaging1763900000000,
  DispatchCore1763900100000,
  OpsReadModel1763990000000,
  SlaEngine1764000000000,
  OpsHotspotShards1764100000000,
  OpsHotspotEvent1764200000000,
  OpsHotspotPending1764300000000,
  OutboxNoNotify1764400000000,
  OpsTaskCaseOutcome1764500000000,
  CasesUnusedIndexes1764600000000,
  CaseText1764700000000,
  NoColumnStatistics1764800000000,
];
