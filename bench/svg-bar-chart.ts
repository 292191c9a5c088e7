/**
 * A grouped bar chart as plain SVG text: categories along x, one bar per series in each, a
 * linear or log-10 y axis, optional horizontal reference lines (e.g. Redis beside Haus shard
 * counts). Small on purpose: the bench needs three charts, not a charting library.
 */

export interface BarSeries {
  name: string;
  color: string;
  /** One value per category; null leaves a gap. */
  values: (number | null)[];
}

export interface ReferenceLine {
  label: string;
  value: number;
  color: string;
}

export interface BarChart {
  title: string;
  yLabel: string;
  categories: string[];
  series: BarSeries[];
  logScale?: boolean;
  references?: ReferenceLine[];
  /** Legend entries per row (default: as many as fit); the rows stack under the x labels. */
  legendColumns?: number;
}

const WIDTH = 820;
const HEIGHT = 420;
const MARGIN = { top: 56, right: 24, bottom: 84, left: 84 };
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;
const LEGEND_ENTRY_W = 150;
const LEGEND_ROW_H = 16;

export function renderBarChart(chart: BarChart): string {
  const values = [
    ...chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null && v > 0)),
    ...(chart.references ?? []).map((r) => r.value),
  ];
  const axis = chart.logScale ? logAxis(values) : linearAxis(values);
  const groupW = PLOT_W / Math.max(1, chart.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, chart.series.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    text(WIDTH / 2, 24, chart.title, 'middle', 'font-size="16" font-weight="bold"'),
    text(
      18,
      MARGIN.top + PLOT_H / 2,
      chart.yLabel,
      'middle',
      `transform="rotate(-90 18 ${MARGIN.top + PLOT_H / 2})"`,
    ),
  ];
  for (const tick of axis.ticks) {
    const y = axis.y(tick);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y}" y2="${y}" ` +
        'stroke="#ddd"/>',
      text(MARGIN.left - 6, y + 4, formatTick(tick), 'end'),
    );
  }
  chart.categories.forEach((category, i) => {
    const groupX = MARGIN.left + i * groupW + groupW * 0.1;
    chart.series.forEach((series, j) => {
      const value = series.values[i];
      if (value === null || value === undefined || value <= 0) return;
      const y = axis.y(value);
      const x = groupX + j * barW;
      parts.push(
        `<rect x="${round(x)}" y="${y}" width="${round(barW - 2)}" ` +
          `height="${round(MARGIN.top + PLOT_H - y)}" fill="${series.color}">` +
          `<title>${escapeXml(`${series.name}, ${category}: ${formatTick(value)}`)}</title></rect>`,
      );
    });
    parts.push(
      text(MARGIN.left + i * groupW + groupW / 2, MARGIN.top + PLOT_H + 18, category, 'middle'),
    );
  });
  for (const reference of chart.references ?? []) {
    const y = axis.y(reference.value);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${y}" y2="${y}" ` +
        `stroke="${reference.color}" stroke-width="2" stroke-dasharray="6 4"/>`,
      text(MARGIN.left + PLOT_W - 4, y - 6, reference.label, 'end', `fill="${reference.color}"`),
    );
  }
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" ` +
      `y2="${MARGIN.top + PLOT_H}" stroke="#333"/>`,
    legend(chart.series, chart.legendColumns),
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}

interface Axis {
  ticks: number[];
  y: (value: number) => number;
}

function linearAxis(values: number[]): Axis {
  const max = Math.max(1, ...values);
  const rough = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const top = Math.ceil(max / step) * step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { ticks, y: (value) => round(MARGIN.top + PLOT_H - (value / top) * PLOT_H) };
}

function logAxis(values: number[]): Axis {
  const low = Math.floor(Math.log10(Math.max(1, Math.min(...values, 10))));
  const high = Math.max(low + 1, Math.ceil(Math.log10(Math.max(...values, 10))));
  const ticks = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  const y = (value: number) =>
    round(MARGIN.top + PLOT_H - ((Math.log10(value) - low) / (high - low)) * PLOT_H);
  return { ticks, y };
}

function legend(series: BarSeries[], columnsWanted: number | undefined): string {
  const fit = Math.max(1, Math.floor(PLOT_W / LEGEND_ENTRY_W));
  const columns = Math.min(columnsWanted ?? fit, fit, Math.max(1, series.length));
  const rows = Math.ceil(series.length / columns);
  // One row sits where it always did; more rows start just under the x labels so the last
  // stays inside (three rows fit).
  const firstY = rows === 1 ? HEIGHT - 28 : MARGIN.top + PLOT_H + 36;
  return series
    .map((s, i) => {
      const x = MARGIN.left + (i % columns) * Math.min(LEGEND_ENTRY_W, PLOT_W / columns);
      const y = firstY + Math.floor(i / columns) * LEGEND_ROW_H;
      return (
        `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${s.color}"/>` +
        text(x + 18, y, s.name, 'start')
      );
    })
    .join('\n');
}

function text(x: number, y: number, content: string, anchor: string, extra = ''): string {
  return (
    `<text x="${round(x)}" y="${round(y)}" text-anchor="${anchor}" ${extra}>` +
    `${escapeXml(content)}</text>`
  );
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (value >= 1_000) return `${trim(value / 1_000)}k`;
  return trim(value);
}

function trim(value: number): string {
  return String(Math.round(value * 100) / 100);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(content: string): string {
  return content.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
