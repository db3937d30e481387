import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process; every service exposes it at /metrics. */
export const metricsRegistry = new Registry();
let defaultsStarted = false;

export function startDefaultMetrics(service: string): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  metricsRegistry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: metricsRegistry });
}

const cache = new Map<string, Counter<string> | Gauge<string> | Histogram<string>>();

export function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  let m = cache.get(name) as Counter<string> | undefined;
  if (!m) {
    m = new Counter({ name, help, labelNames, registers: [metricsRegistry] });
    cache.set(name, m);
  }
  return m;
}

/** `collect`: sets the gauge's values when it is scraped (a reading of something that has them). */
export function gauge(
  name: string,
  help: string,
  labelNames: string[] = [],
  collect?: (this: Gauge<string>) => void,
): Gauge<string> {
  let m = cache.get(name) as Gauge<string> | undefined;
  if (!m) {
    m = new Gauge({ name, help, labelNames, registers: [metricsRegistry], ...(collect ? { collect } : {}) });
    cache.set(name, m);
  }
  return m;
}

export function histogram(
  name: string,
  help: string,
  labelNames: string[] = [],
  buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
): Histogram<string> {
  let m = cache.get(name) as Histogram<string> | undefined;
  if (!m) {
    m = new Histogram({ name, help, labelNames, buckets, registers: [metricsRegistry] });
    cache.set(name, m);
  }
  return m;
}
