import uPlot from 'uplot'
import { formatBytes, formatRate } from './dom.js'

/** Five minutes of one-second points. */
const WINDOW_POINTS = 300

interface ChartSpec {
  title: string
  series: { label: string; stroke: string; fill: string }[]
  value: (value: number) => string
  /** Width of the y axis labels, px. */
  axis: number
}

const IN = { stroke: '#2f7de1', fill: 'rgba(47, 125, 225, 0.12)' }
const OUT = { stroke: '#e1742f', fill: 'rgba(225, 116, 47, 0.12)' }

const SPECS = {
  connections: { title: 'Open connections', series: [{ label: 'open', stroke: '#2a9d5c', fill: 'rgba(42, 157, 92, 0.15)' }], value: (v: number) => String(Math.round(v)), axis: 50 },
  messages: { title: 'Messages / s', series: [{ label: 'from clients', ...IN }, { label: 'to clients', ...OUT }], value: formatRate, axis: 60 },
  bandwidth: { title: 'Bandwidth / s (wire bytes)', series: [{ label: 'from clients', ...IN }, { label: 'to clients', ...OUT }], value: formatBytes, axis: 84 },
} as const satisfies Record<string, ChartSpec>

export type ChartName = keyof typeof SPECS

/** One point of every chart, taken from one /api/live answer. */
export type LivePoint = Record<ChartName, number[]>

/**
 * The three live charts: a rolling window of one point per second each, resized with their
 * container so that they fit a phone as well as a wide screen.
 */
export class LiveCharts {
  readonly #charts = new Map<ChartName, { plot: uPlot; data: number[][] }>()

  constructor(container: HTMLElement) {
    for (const [name, spec] of Object.entries(SPECS) as [ChartName, ChartSpec][]) {
      const panel = document.createElement('div')
      panel.className = 'chart'
      panel.dataset.chart = name
      container.append(panel)
      const data: number[][] = [[], ...spec.series.map(() => [])]
      const plot = new uPlot({
        title: spec.title,
        width: Math.max(200, panel.clientWidth),
        height: 180,
        // At least a minute wide, so the first points do not stretch the time axis to years.
        scales: { x: { time: true, range: (_self, min, max) => [Math.min(min, max - 60), max] }, y: { range: (_self, _min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{}, { values: (_self, ticks) => ticks.map(spec.value), size: spec.axis }],
        series: [{}, ...spec.series.map((series) => ({ label: series.label, stroke: series.stroke, fill: series.fill, width: 2, points: { show: false } }))],
        // A legend of names and colours; live values would show "–" until hovered.
        legend: { live: false },
      }, data as uPlot.AlignedData, panel)
      this.#charts.set(name, { plot, data })
      new ResizeObserver(() => plot.setSize({ width: Math.max(200, panel.clientWidth), height: 180 })).observe(panel)
    }
  }

  /** Appends one point at `time` (epoch seconds) to every chart. */
  push(time: number, point: LivePoint): void {
    for (const [name, chart] of this.#charts) {
      chart.data[0]!.push(time)
      point[name].forEach((value, index) => chart.data[index + 1]!.push(value))
      if (chart.data[0]!.length > WINDOW_POINTS) for (const column of chart.data) column.shift()
      chart.plot.setData(chart.data as uPlot.AlignedData)
      chart.plot.root.parentElement!.dataset.points = String(chart.data[0]!.length)
    }
  }

  /** Forgets the history (the site selection changed). */
  clear(): void {
    for (const chart of this.#charts.values()) {
      for (const column of chart.data) column.length = 0
      chart.plot.setData(chart.data as uPlot.AlignedData)
      chart.plot.root.parentElement!.dataset.points = '0'
    }
  }
}
