// Parallel coordinates as SVG: one vertical axis per hyperparameter and one for the
// score, one line per trial coloured from worst (light) to best (dark). Inactive values
// sit on a slot below their axis. Drawn by hand rather than with plotly's parcoords,
// which needs WebGL. Hovering a line names its trial; clicking opens its run.
import { fmt, num } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = [[253, 231, 37], [94, 201, 98], [33, 145, 140], [59, 82, 139], [68, 1, 84]]; // viridis, light to dark

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function color(t) {
  const x = Math.min(Math.max(t, 0), 1) * (COLORS.length - 1);
  const i = Math.min(Math.floor(x), COLORS.length - 2);
  const f = x - i;
  const c = COLORS[i].map((v, k) => Math.round(v + f * (COLORS[i + 1][k] - v)));
  return `rgb(${c.join(",")})`;
}

// y position (0 top .. 1 bottom of the axis) of a value on an axis, or null if inactive.
function scaler(axis, values) {
  if (axis.kind === "categorical") {
    const n = axis.categories.length;
    return (v) => (v === null || v === undefined ? null : 1 - (axis.categories.indexOf(String(v)) + 0.5) / n);
  }
  const finite = values.filter((v) => v !== null && v !== undefined && Number.isFinite(num(v))).map(num);
  const log = axis.log && finite.every((v) => v > 0);
  const f = (v) => (log ? Math.log10(v) : v);
  const lo = Math.min(...finite.map(f));
  const hi = Math.max(...finite.map(f));
  return (v) => (v === null || v === undefined || !Number.isFinite(num(v)) ? null : hi === lo ? 0.5 : 1 - (f(num(v)) - lo) / (hi - lo));
}

function ticks(axis, values) {
  if (axis.kind === "categorical") return axis.categories.map((c) => [c, c]);
  const finite = values.filter((v) => v !== null && v !== undefined && Number.isFinite(num(v))).map(num);
  if (!finite.length) return [];
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return lo === hi ? [[lo, fmt(lo)]] : [[lo, fmt(lo)], [hi, fmt(hi)]];
}

export function drawParallel(container, axes, trials, scoreName, lowerIsBetter) {
  const width = Math.max(container.clientWidth || 900, 160 * (axes.length + 1));
  const height = 340;
  const top = 40;
  const bottom = 60;
  const axisHeight = height - top - bottom;
  const all = [...axes, { name: scoreName, kind: "numeric", log: false, score: true }];
  const step = (width - 120) / Math.max(all.length - 1, 1);
  const root = svg("svg", { class: "parallel-graph", width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "parallel coordinates" });
  const value = (t, axis) => (axis.score ? t.score : t.params[axis.name]);
  const losses = trials.map((t) => num(t.loss));
  const worst = Math.max(...losses);
  const best = Math.min(...losses);
  const shade = (t) => (worst === best ? 1 : (worst - num(t.loss)) / (worst - best));
  const scales = all.map((axis) => scaler(axis, trials.map((t) => value(t, axis))));
  const lines = svg("g", { class: "lines" });
  root.append(lines);
  const order = [...trials].sort((a, b) => shade(a) - shade(b)); // best drawn last, on top
  for (const t of order) {
    const points = all.map((axis, i) => {
      const y = scales[i](value(t, axis));
      return `${60 + i * step},${top + (y === null ? axisHeight + 22 : y * axisHeight)}`;
    });
    const path = svg("polyline", { points: points.join(" "), class: "trial-line", stroke: color(shade(t)),
      "data-trial": t.number });
    path.append(svg("title", {}, `trial ${t.number}: ${scoreName} ${fmt(t.score)}`));
    path.addEventListener("click", () => { window.location.href = `/runs/${encodeURIComponent(t.run_id)}`; });
    lines.append(path);
  }
  all.forEach((axis, i) => {
    const x = 60 + i * step;
    const g = svg("g", { class: "axis" });
    g.append(svg("line", { x1: x, x2: x, y1: top, y2: top + axisHeight }));
    g.append(svg("text", { x, y: top - 14, class: "axis-name", "text-anchor": "middle" }, axis.name + (axis.log ? " (log)" : "")));
    const scale = scales[i];
    for (const [v, label] of ticks(axis, trials.map((t) => value(t, axis)))) {
      const y = top + scale(v) * axisHeight;
      g.append(svg("text", { x: x + 5, y: y + 4, class: "tick" }, label));
    }
    if (!axis.score && trials.some((t) => value(t, axis) === null || value(t, axis) === undefined)) {
      g.append(svg("text", { x: x + 5, y: top + axisHeight + 26, class: "tick muted" }, "inactive"));
    }
    root.append(g);
  });
  root.append(svg("text", { x: 10, y: height - 8, class: "tick" },
    `${trials.length} successful trials; darker is better (${lowerIsBetter ? "lower" : "higher"} ${scoreName})`));
  container.replaceChildren(root);
}
