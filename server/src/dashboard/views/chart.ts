import { formatDuration, formatNumber, svg } from "../dom.js";

export interface RatePoint {
  /** Epoch ms of the batch commit. */
  t: number;
  /** Rows per second at that batch. */
  rate: number;
  pipeline: string;
}

const COLORS = ["#2f6fde", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2"];

/** Rows/s over time, one line per pipeline (SVG, no library). */
export function rateChart(points: RatePoint[], width = 1100, height = 180): SVGElement {
  const pad = { left: 56, right: 12, top: 10, bottom: 24 };
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height, role: "img", "aria-label": "rows per second over time", "data-points": points.length });
  if (!points.length) {
    root.append(svg("text", { x: width / 2, y: height / 2, "text-anchor": "middle", class: "chart-empty" }, "waiting for the first batch…"));
    return root;
  }
  const t0 = Math.min(...points.map((p) => p.t));
  const t1 = Math.max(...points.map((p) => p.t), t0 + 1000);
  const max = Math.max(...points.map((p) => p.rate), 1) * 1.1;
  const x = (t: number) => pad.left + ((t - t0) / (t1 - t0)) * (width - pad.left - pad.right);
  const y = (r: number) => height - pad.bottom - (r / max) * (height - pad.top - pad.bottom);
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    root.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: "chart-grid" }));
    root.append(svg("text", { x: pad.left - 6, y: y(value) + 4, "text-anchor": "end", class: "chart-label" }, formatNumber(Math.round(value))));
  }
  root.append(svg("text", { x: width - pad.right, y: height - 6, "text-anchor": "end", class: "chart-label" }, formatDuration(t1 - t0)));
  root.append(svg("text", { x: pad.left, y: height - 6, class: "chart-label" }, "0 s"));
  const pipelines = [...new Set(points.map((p) => p.pipeline))];
  pipelines.forEach((pipeline, i) => {
    const own = points.filter((p) => p.pipeline === pipeline);
    const color = COLORS[i % COLORS.length];
    root.append(svg("polyline", { points: own.map((p) => `${x(p.t).toFixed(1)},${y(p.rate).toFixed(1)}`).join(" "), fill: "none", stroke: color, "stroke-width": 2, "data-pipeline": pipeline }));
    for (const p of own) root.append(svg("circle", { cx: x(p.t).toFixed(1), cy: y(p.rate).toFixed(1), r: 2.5, fill: color }));
    if (pipelines.length > 1) root.append(svg("text", { x: pad.left + 8 + i * 120, y: pad.top + 10, fill: color, class: "chart-legend" }, pipeline));
  });
  return root;
}
