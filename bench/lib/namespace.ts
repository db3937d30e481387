import { createInfraNamespace, InfraNamespace } from '@app/testing';

/**
 * The bench's own slice of the real infrastructure (libs/testing's namespace): a fresh database
 * `bench_<ts>` (so its million-row tables never touch dev data), its own topic prefix (project
 * topics created with the production partition count) and Redis key prefix. Dropped at the end
 * unless --keep.
 */
export type BenchNamespace = InfraNamespace;

export function createBenchNamespace(partitions: number): Promise<BenchNamespace> {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const id = `bench${stamp}${Math.floor(Math.random() * 1e4)
    .toString()
    .padStart(4, '0')}`;
  return createInfraNamespace({ id, dbName: `bench_${stamp}_${id.slice(-4)}`, partitions });
}
