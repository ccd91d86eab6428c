// parse-prometheus-text-format ships no types; the part the metrics test uses.
declare module 'parse-prometheus-text-format' {
  interface MetricFamily {
    name: string
    help: string
    type: string
    metrics: Array<{ value?: string; labels?: Record<string, string> }>
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[]
}
