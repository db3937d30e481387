import { intEnv } from '@app/platform';
import { isKnownTimeZone, PointsRule } from './ops-model';

/** The ops feature's settings, read once at boot. */
export interface OpsConfig {
  points: PointsRule;
  /** Zone the daily rollups and day series are counted in (default Asia/Shanghai). */
  timezone: string;
  /** How often the live board is recomputed while someone watches it (ms). */
  streamRefreshMs: number;
  /**
   * Also feed the read model from Kafka (consumer group 'ops'): to rebuild it from the topics'
   * retention after a reset, or to run the ops API apart from the case writer. Off by default:
   * dispatch projects each event in the transaction that appends it, and the projection is
   * idempotent by event id, so both at once are harmless.
   */
  fromKafka: boolean;
  /** How often cases are added to the 民情地图 daily rollup (ms; hotspot queries also add them first). */
  hotspotRollupMs: number;
}

export const OPS_CONFIG = Symbol('OPS_CONFIG');

export function loadOpsConfig(env: NodeJS.ProcessEnv = process.env): OpsConfig {
  const timezone = env.OPS_TIMEZONE ?? 'Asia/Shanghai';
  if (!isKnownTimeZone(timezone)) throw new Error(`OPS_TIMEZONE "${timezone}" is not a known IANA time zone`);
  return {
    points: { onTime: intEnv(env, 'OPS_POINTS_ON_TIME', 10), breach: intEnv(env, 'OPS_POINTS_BREACH', -5) },
    timezone,
    streamRefreshMs: intEnv(env, 'OPS_STREAM_REFRESH_MS', 2000),
    hotspotRollupMs: intEnv(env, 'OPS_HOTSPOT_ROLLUP_MS', 2000),
    fromKafka: (env.OPS_FROM_KAFKA ?? 'false').trim().toLowerCase() === 'true',
  };
}
