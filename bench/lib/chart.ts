/**
 * A dependency-free grouped bar chart as SVG, so benchmark figures are plotted in the docs
 * without a plotting toolchain. Values are drawn to a linear scale starting at zero.
 */
export interface BarChart {
  title: string;
  unit: string;
  groups: string[];
  series: { name: string; values: number[] }[];
}

const COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)}k`;
  return n.toFixed(n < 10 ? 1 : 0);
}

/** The layout every chart here shares, and its opening elements (canvas, background, title). */
function frame(height: number, title: string) {
  const width = 760;
  const left = 70;
  const right = 20;
  const top = 50;
  const bottom = 70;
  return {
    width,
    left,
    right,
    top,
    plotW: width - left - right,
    plotH: height - top - bottom,
    parts: [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
      `<rect width="100%" height="100%" fill="#fff"/>`,
      `<text x="${width / 2}" y="24" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ],
  };
}

export function barChartSvg(chart: BarChart): string {
  const height = 360;
  const { width, left, right, top, plotW, plotH, parts } = frame(height, chart.title);
  const max = Math.max(1, ...chart.series.flatMap((s) => s.values));
  const groupW = plotW / chart.groups.length;
  const barW = (groupW * 0.8) / chart.series.length;
  const y = (v: number) => top + plotH - (v / max) * plotH;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${compact(v)}</text>`,
    );
  }
  parts.push(
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${esc(chart.unit)}</text>`,
  );
  chart.groups.forEach((g, gi) => {
    const gx = left + gi * groupW + groupW * 0.1;
    chart.series.forEach((s, si) => {
      const v = s.values[gi] ?? 0;
      const x = gx + si * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${(top + plotH - y(v)).toFixed(1)}" fill="${COLOURS[si % COLOURS.length]}"/>`,
        `<text x="${(x + barW / 2 - 2).toFixed(1)}" y="${(y(v) - 4).toFixed(1)}" text-anchor="middle">${compact(v)}</text>`,
      );
    });
    parts.push(
      `<text x="${(left + gi * groupW + groupW / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle" font-weight="bold">${esc(g)}</text>`,
    );
  });
  return withLegend(
    parts,
    chart.series.map((s) => s.name),
    { left, plotW },
    height - 20,
  );
}

/** Appends a legend (a swatch and a name per series, in series colours) on baseline `y`, and closes the SVG. */
function withLegend(parts: string[], names: string[], area: { left: number; plotW: number }, y: number): string {
  names.forEach((name, si) => {
    const x = area.left + si * (area.plotW / names.length);
    parts.push(
      `<rect x="${x.toFixed(1)}" y="${y - 10}" width="12" height="12" fill="${COLOURS[si % COLOURS.length]}"/>`,
      `<text x="${(x + 16).toFixed(1)}" y="${y}">${esc(name)}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/** A scatter-and-line chart over time: points per series, phases shaded and named. */
export interface TimeChart {
  title: string;
  xUnit: string;
  yUnit: string;
  series: { name: string; points: [number, number][] }[];
  /** Shaded x ranges with a label each (e.g. load phases). */
  phases?: { from: number; to: number; label: string }[];
  /** Log-scale y axis (latencies spanning decades). */
  logY?: boolean;
}

export function timeChartSvg(chart: TimeChart): string {
  const height = 380;
  const { width, left, right, top, plotW, plotH, parts } = frame(height, chart.title);
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0])).concat((chart.phases ?? []).map((p) => p.to));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(1, ...xs);
  // Log scale: whole decades around the data, so the ticks read 0.1, 0.2, 0.5, 1, 2, 5, ...
  const lo = chart.logY ? Math.floor(Math.log10(Math.max(1e-3, Math.min(...ys.filter((v) => v > 0), 1)))) : 0;
  const floor = 10 ** lo;
  const yMax = Math.max(chart.logY ? floor * 10 : 1e-9, ...ys);
  const hi = chart.logY ? Math.ceil(Math.log10(yMax)) : yMax;
  const x = (v: number) => left + (v / xMax) * plotW;
  const y = (v: number) => {
    const t = chart.logY ? (Math.log10(Math.max(v, floor)) - lo) / (hi - lo || 1) : v / hi;
    return top + plotH - t * plotH;
  };
  for (const [i, p] of (chart.phases ?? []).entries()) {
    parts.push(
      `<rect x="${x(p.from).toFixed(1)}" y="${top}" width="${(x(p.to) - x(p.from)).toFixed(1)}" height="${plotH}" fill="${i % 2 ? '#f3f3f3' : '#fbfbfb'}"/>`,
      `<text x="${((x(p.from) + x(p.to)) / 2).toFixed(1)}" y="${top + 14}" text-anchor="middle" fill="#666">${esc(p.label)}</text>`,
    );
  }
  const ticks = chart.logY
    ? Array.from({ length: Math.round(hi - lo) + 1 }, (_, i) => 10 ** (lo + i)).flatMap((d, i, all) =>
        i === all.length - 1 ? [d] : [d, 2 * d, 5 * d],
      )
    : [0, 1, 2, 3, 4].map((i) => (hi * i) / 4);
  for (const v of ticks) {
    parts.push(
      `<line x1="${left}" x2="${width - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? compact(v) : String(Number(v.toPrecision(2)))}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const v = (xMax * i) / 5;
    parts.push(`<text x="${x(v).toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle">${compact(v)}</text>`);
  }
  parts.push(
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${esc(chart.yUnit)}</text>`,
    `<text x="${left + plotW / 2}" y="${top + plotH + 34}" text-anchor="middle">${esc(chart.xUnit)}</text>`,
  );
  chart.series.forEach((s, si) => {
    const colour = COLOURS[si % COLOURS.length];
    for (const [px, py] of s.points) {
      parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${y(py).toFixed(1)}" r="1.8" fill="${colour}"/>`);
    }
  });
  return withLegend(
    parts,
    chart.series.map((s) => s.name),
    { left, plotW },
    height - 12,
  );
}
