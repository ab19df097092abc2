// Type declarations for passgate/prometheus (kept by hand).

/** What register() needs of a prom-client Registry (kept structural: prom-client is an optional peer). */
export interface RegistryLike {
  registerMetric(metric: object): void;
  getSingleMetric(name: string): unknown;
}

/**
 * Add passgate's metrics (passgate_validations_total{provider,outcome},
 * passgate_upstream_calls_total, passgate_upstream_retries_total,
 * passgate_replay_store_errors_total, passgate_replay_live_evictions_total,
 * passgate_replay_memory_entries, passgate_replay_memory_capacity,
 * passgate_validation_duration_seconds, passgate_upstream_duration_seconds)
 * to a prom-client Registry, prom-client's default registry when omitted.
 * They read `metrics()` at each scrape. Returns the registry.
 */
export declare function register<R extends RegistryLike>(registry?: R): R;
