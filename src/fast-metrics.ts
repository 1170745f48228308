// Metrics recorded on the hot path, kept cheap: each series is found by one Map lookup. prom-client's
// own Counter and Histogram hash and validate their labels on every call; these implement its metric
// interface (`get()`) instead, so its registry renders them with everything else.

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5] as const

interface Series {
  labels: { method: string; route: string; status: string }
  counts: number[]
  sum: number
  count: number
}

function record(series: Series, seconds: number): void {
  for (let i = 0; i < BUCKETS.length; i++)
    if (seconds <= (BUCKETS[i] as number)) (series.counts[i] as number)++
  series.sum += seconds
  series.count++
}

export class RequestHistogram {
  readonly name = 'http_request_duration_seconds'
  readonly help = 'Request latency by route and status; its _count is the request count'
  readonly #series = new Map<string, Series>()

  observe(method: string, route: string, status: number, seconds: number): void {
    record(this.#find(method, route, status), seconds)
  }

  /**
   * An observer for one route: it keeps the series it used last, so the usual request (same method and
   * status as the one before) builds no key string and looks nothing up.
   */
  forRoute(route: string): (method: string, status: number, seconds: number) => void {
    let last: Series | undefined
    let lastMethod = ''
    let lastStatus = 0
    return (method, status, seconds) => {
      if (last === undefined || method !== lastMethod || status !== lastStatus) {
        last = this.#find(method, route, status)
        lastMethod = method
        lastStatus = status
      }
      record(last, seconds)
    }
  }

  #find(method: string, route: string, status: number): Series {
    const key = `${method} ${route} ${status}`
    let series = this.#series.get(key)
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        counts: BUCKETS.map(() => 0),
        sum: 0,
        count: 0,
      }
      this.#series.set(key, series)
    }
    return series
  }

  /** prom-client's metric interface: what Registry#metrics() renders. */
  async get() {
    const values = []
    for (const { labels, counts, sum, count } of this.#series.values()) {
      BUCKETS.forEach((le, i) =>
        values.push({
          labels: { ...labels, le },
          value: counts[i] as number,
          metricName: `${this.name}_bucket`,
        }),
      )
      values.push({ labels: { ...labels, le: '+Inf' }, value: count, metricName: `${this.name}_bucket` })
      values.push({ labels, value: sum, metricName: `${this.name}_sum` })
      values.push({ labels, value: count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' }
  }
}

/** A counter with one label, e.g. hashes issued by inbox. */
export class LabelledCounter {
  // A cell per label value: one lookup per increment.
  readonly #values = new Map<string, { value: number }>()

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelName: string,
  ) {}

  inc(labelValue: string): void {
    const cell = this.#values.get(labelValue)
    if (cell === undefined) this.#values.set(labelValue, { value: 1 })
    else cell.value++
  }

  async get() {
    const values = [...this.#values].map(([label, { value }]) => ({
      labels: { [this.labelName]: label },
      value,
    }))
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' }
  }
}
