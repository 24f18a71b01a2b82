// Prometheus metrics, kept in memory per instance and rendered in the text exposition format (version 0.0.4) at
// /metrics. Hand-written: counters, gauges (set or read at scrape time) and histograms with fixed buckets.
// Label values that come from clients (operation names) are sanitised and the number of series per metric is
// capped, so a client inventing names cannot grow memory without bound.

type Labels = Record<string, string>;

const MAX_SERIES = 500;
const OVERFLOW: Labels = { overflow: 'true' };

const keyCache = new Map<string, string>();

/** The series key (`a="1",b="2"`, sorted, escaped); remembered, since the same label sets come on every request. */
function labelKey(labels: Labels): string {
  let raw = '';
  for (const k in labels) raw += `${k}\u0001${labels[k]}\u0002`;
  let key = keyCache.get(raw);
  if (key === undefined) {
    key = Object.keys(labels)
      .sort()
      .map((k) => `${k}="${escapeLabel(labels[k])}"`)
      .join(',');
    if (keyCache.size >= MAX_SERIES * 20) keyCache.clear();
    keyCache.set(raw, key);
  }
  return key;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

abstract class Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
  ) {}
  abstract lines(): string[];
  render(): string {
    return [`# HELP ${this.name} ${this.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${this.name} ${this.type}`, ...this.lines()].join('\n');
  }
}

const series = (name: string, key: string, value: number) => `${name}${key ? `{${key}}` : ''} ${formatNumber(value)}`;

export class Counter extends Metric {
  private readonly values = new Map<string, number>();
  constructor(name: string, help: string) {
    super(name, help, 'counter');
  }
  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return; // counters only go up
    let key = labelKey(labels);
    if (!this.values.has(key) && this.values.size >= MAX_SERIES) key = labelKey(OVERFLOW);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  lines(): string[] {
    return [...this.values].map(([key, v]) => series(this.name, key, v));
  }
}

/** A gauge whose value is read when scraped (open sockets, queries so far...). */
export class CallbackGauge extends Metric {
  constructor(
    name: string,
    help: string,
    private readonly read: () => number | { labels: Labels; value: number }[],
    type: 'gauge' | 'counter' = 'gauge',
  ) {
    super(name, help, type);
  }
  lines(): string[] {
    const v = this.read();
    if (typeof v === 'number') return [series(this.name, '', v)];
    return v.map((s) => series(this.name, labelKey(s.labels), s.value));
  }
}

export class Histogram extends Metric {
  private readonly values = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    name: string,
    help: string,
    readonly bounds: number[],
  ) {
    super(name, help, 'histogram');
  }
  observe(labels: Labels, value: number): void {
    let key = labelKey(labels);
    if (!this.values.has(key) && this.values.size >= MAX_SERIES) key = labelKey(OVERFLOW);
    let h = this.values.get(key);
    if (!h) this.values.set(key, (h = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]) h.buckets[i]++;
    h.sum += value;
    h.count++;
  }
  count(labels: Labels): number {
    return this.values.get(labelKey(labels))?.count ?? 0;
  }
  lines(): string[] {
    const out: string[] = [];
    for (const [key, h] of this.values) {
      const sep = key ? ',' : '';
      this.bounds.forEach((b, i) => out.push(`${this.name}_bucket{${key}${sep}le="${formatNumber(b)}"} ${h.buckets[i]}`));
      out.push(`${this.name}_bucket{${key}${sep}le="+Inf"} ${h.count}`);
      out.push(series(`${this.name}_sum`, key, h.sum));
      out.push(series(`${this.name}_count`, key, h.count));
    }
    return out;
  }
}

/** An operation name as a label value: GraphQL names are [_A-Za-z][_0-9A-Za-z]*; anything else is "invalid". */
export function operationLabel(name: string | null | undefined): string {
  if (!name) return 'anonymous';
  return /^[_A-Za-z][_0-9A-Za-z]{0,63}$/.test(name) ? name : 'invalid';
}

export class Metrics {
  private readonly all: Metric[] = [];
  readonly operations = this.add(new Counter('parley_graphql_operations_total', 'GraphQL operations executed, by operation name, type, transport and outcome (ok or error).'));
  readonly operationDuration = this.add(
    new Histogram(
      'parley_graphql_operation_duration_seconds',
      'Time to execute a GraphQL query or mutation (subscriptions excluded), by operation name, transport and outcome.',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  );
  readonly errors = this.add(new Counter('parley_graphql_errors_total', 'Errors in GraphQL results, by error code.'));
  readonly subscriptionsStarted = this.add(new Counter('parley_subscriptions_started_total', 'Subscriptions started, by transport.'));
  readonly eventsPublished = this.add(new Counter('parley_events_published_total', 'Events published on the event bus, by topic.'));
  readonly aiTokens = this.add(new Counter('parley_ai_tokens_total', 'AI chat tokens used, by model and direction (input or output).'));

  private add<M extends Metric>(metric: M): M {
    this.all.push(metric);
    return metric;
  }

  /** Adds a gauge (or counter) read at scrape time; registering a name twice replaces the earlier one. */
  register(name: string, help: string, read: () => number | { labels: Labels; value: number }[], type: 'gauge' | 'counter' = 'gauge'): void {
    const at = this.all.findIndex((m) => m.name === name);
    const metric = new CallbackGauge(name, help, read, type);
    if (at >= 0) this.all[at] = metric;
    else this.all.push(metric);
  }

  render(): string {
    const parts: string[] = [];
    for (const m of this.all) {
      try {
        parts.push(m.render());
      } catch {
        // a gauge whose source is gone (shutting down) is left out of this scrape
      }
    }
    return parts.join('\n') + '\n';
  }
}
