/**
 * The offload report people read: a self-contained HTML page per ingest and session
 * folder (beside the JSON report), and its throughput chart.
 * @module
 */
export { renderOffloadReport, escapeHtml, REPORT_CSP, type RenderOffloadReportOptions } from './html'
export { writeOffloadReport, writeHtmlBeside, type WriteOffloadReportOptions, type WrittenOffloadReport } from './write'
export { throughputChart, summarizeThroughput, formatRate, type ChartSummary, type RatePoint } from './chart'
