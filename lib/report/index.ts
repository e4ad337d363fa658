/**
 * The offload report people read: a self-contained HTML page per ingest and session
 * folder (beside the JSON report), and its throughput chart.
 * @module
 */
export { renderOffloadReport, REPORT_CSP, type RenderOffloadReportOptions } from './html'
export { escapeHtml } from '../text/html'
export {
  writeOffloadReport,
  writeHtmlBeside,
  type WriteOffloadReportOptions,
  type WrittenOffloadReport,
} from './write'
export { throughputChart, summarizeThroughput, type ChartSummary, type RatePoint } from './chart'
export { formatRate } from '../text/units'
