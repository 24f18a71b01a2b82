// Prometheus metrics of one Parley instance, served at /metrics: prom-client's default process, heap, GC and
// event-loop metrics plus Parley's own counters, histograms and scrape-time gauges. Each instance has a registry of
// its own (never prom-client's global one), so several apps in one process (tests) keep separate numbers.
// Label values that come from clients (operation names) are sanitised, and the number of series per metric is
// capped, so a client inventing names cannot grow memory without bound.
import { Counter as PromCounter, Gauge, Histogram as PromHistogram, Registry, collectDefaultMetrics } from 'prom-client';

type Labels = Record<string, string>;
/** What a scrape-time metric reads: one value, or one value per label set. */
type Reading = number | { labels: Labels; value: number }[];

const MAX_SERIES = 500;
const OVERFLOW_LABEL = 'overflow';
const OVERFLOW: Labels = { [OVERFLOW_LABEL]: 'true' };

/**
 * The label sets one metric has recorded, so that a new one past MAX_SERIES is counted as `overflow="true"` instead.
 * Label sets are keyed in their own key order: call sites pass theirs in one order, and a reordered set costs at
 * worst one more slot under the cap.
 */
class SeriesCap {
  private readonly seen = new Set<string>();

  bound(labels: Labels): Labels {
    let key = '';
    for (const name in labels) key += `${name}\u0001${labels[name]}\u0002`;
    if (this.seen.has(key)) return labels;
    if (this.seen.size >= MAX_SERIES) return OVERFLOW;
    this.seen.add(key);
    return labels;
  }
}

export class Counter {
  private readonly cap = new SeriesCap();
  private readonly counter: PromCounter;

  constructor(registry: Registry, name: string, help: string, labelNames: string[]) {
    this.counter = new PromCounter({ name, help, labelNames: [...labelNames, OVERFLOW_LABEL], registers: [registry] });
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0 && by < Infinity)) return; // counters only go up: NaN, infinite and negative amounts are dropped
    this.counter.inc(this.cap.bound(labels), by);
  }
}

export class Histogram {
  private readonly cap = new SeriesCap();
  private readonly histogram: PromHistogram;

  constructor(registry: Registry, name: string, help: string, labelNames: string[], buckets: number[]) {
    this.histogram = new PromHistogram({ name, help, labelNames: [...labelNames, OVERFLOW_LABEL], buckets, registers: [registry] });
  }

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value)) return;
    this.histogram.observe(this.cap.bound(labels), value);
  }
}

/** An operation name as a label value: GraphQL names are [_A-Za-z][_0-9A-Za-z]*; anything else is "invalid". */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name) ? name : 'invalid';
}

export class Metrics {
  /** This instance's registry: what /metrics renders. */
  readonly registry = new Registry();
  readonly operations = new Counter(
    this.registry,
    'parley_graphql_operations_total',
    'GraphQL operations executed, by operation name, type, transport and outcome (ok or error).',
    ['operation', 'type', 'transport', 'outcome'],
  );
  readonly operationDuration = new Histogram(
    this.registry,
    'parley_graphql_operation_duration_seconds',
    'Time to execute a GraphQL query or mutation (subscriptions excluded), by operation name, transport and outcome.',
    ['operation', 'transport', 'outcome'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly errors = new Counter(this.registry, 'parley_graphql_errors_total', 'Errors in GraphQL results, by error code.', ['code']);
  readonly subscriptionsStarted = new Counter(this.registry, 'parley_subscriptions_started_total', 'Subscriptions started, by transport.', [
    'transport',
  ]);
  readonly eventsPublished = new Counter(this.registry, 'parley_events_published_total', 'Events published on the event bus, by topic.', [
    'topic',
  ]);
  readonly aiTokens = new Counter(
    this.registry,
    'parley_ai_tokens_total',
    'AI chat tokens used, by model and direction (input or output).',
    ['model', 'direction'],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Adds a gauge (or counter) read at scrape time; registering a name twice replaces the earlier one. A reading
   * with labels uses only the names in `labelNames`. When `read` throws (its source is shutting down), the scrape
   * shows the last reading (a counter must not seem to restart).
   */
  register(name: string, help: string, read: () => Reading, type: 'gauge' | 'counter' = 'gauge', labelNames: string[] = []): void {
    this.registry.removeSingleMetric(name);
    const registers = [this.registry];
    if (type === 'gauge') {
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          const reading = samples(read);
          if (!reading) return;
          this.reset();
          for (const sample of reading) this.set(sample.labels, sample.value);
        },
      });
    } else {
      new PromCounter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          const reading = samples(read);
          if (!reading) return;
          this.reset();
          for (const sample of reading) if (sample.value >= 0 && sample.value < Infinity) this.inc(sample.labels, sample.value);
        },
      });
    }
  }

  /** The Prometheus text exposition of every metric of this instance. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** What /metrics answers with. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Drops every metric: prom-client's GC observer and event-loop monitor live as long as the process and hold the
   * registry, so a stopped instance must not leave its scrape-time callbacks (and what they read) behind in it.
   */
  close(): void {
    this.registry.clear();
  }
}

/** A reading as label sets and values; undefined when the source cannot be read. */
function samples(read: () => Reading): { labels: Labels; value: number }[] | undefined {
  let reading: Reading;
  try {
    reading = read();
  } catch {
    return undefined;
  }
  return typeof reading === 'number' ? [{ labels: {}, value: reading }] : reading;
}
