// Compare: two or more runs side by side, their params (differences marked) and metrics,
// and each metric's histories overlaid in one plot.
import { PALETTE, api, el, fmt, num, plot, runLink, show, showError, status } from "./common.js";

const ids = new URL(window.location.href).searchParams.getAll("run");
const MAX_PLOTS = 24;

function label(run) {
  return `${run.name || run.id.slice(0, 8)}`;
}

function grid(runs, keys, cell, differ = new Set()) {
  return el("table", { class: "compare" },
    el("thead", {}, el("tr", {}, el("th", {}, ""), runs.map((r) => el("th", {}, runLink(r.id, label(r)))))),
    el("tbody", {}, keys.map((k) => el("tr", { class: differ.has(k) ? "differs" : "" },
      el("th", { class: "mono" }, k), runs.map((r) => el("td", {}, cell(r, k)))))));
}

async function curves(runs, points) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort().slice(0, MAX_PLOTS);
  if (!keys.length) return show("plots", el("p", { class: "muted" }, "No metrics."));
  const boxes = keys.map((k) => el("figure", {}, el("figcaption", {}, k), el("div", { class: "plot" })));
  show("plots", boxes);
  await Promise.all(keys.map(async (key, i) => {
    const traces = await Promise.all(runs.filter((r) => key in r.metrics).map(async (r) => {
      const color = PALETTE[runs.indexOf(r) % PALETTE.length];
      if ((points[r.id][key] || 0) <= 1) {
        return { x: [label(r)], y: [num(r.metrics[key])], type: "bar", name: label(r), marker: { color } };
      }
      const h = await api(`/api/runs/${encodeURIComponent(r.id)}/metric-history?${new URLSearchParams({ key })}`);
      return { x: h.steps, y: h.values.map(num), type: "scatter", mode: "lines", name: label(r), line: { color } };
    }));
    const curve = traces.some((t) => t.type === "scatter");
    return plot(boxes[i].lastChild, curve ? traces.filter((t) => t.type === "scatter") : traces,
      { height: 260, showlegend: curve, xaxis: { title: { text: curve ? "step" : "" } } });
  }));
}

if (ids.length < 2) {
  show("heads", el("p", { class: "error" }, "Pick two or more runs to compare: tick them in the runs table."));
} else {
  api(`/api/compare?${new URLSearchParams(ids.map((id) => ["run", id]))}`).then(async (answer) => {
    const { runs, params, differ, metric_points: points } = answer;
    show("heads", grid(runs, ["status", "study", "trial"], (r, k) => (k === "status" ? status(r.status)
      : k === "study" ? (r.study_id === null ? "" : el("a", { href: `/studies/${r.study_id}` }, String(r.study_id)))
        : fmt(r.trial_number))));
    const differs = new Set(differ);
    const only = document.getElementById("only-diff");
    const drawParams = () => show("params", grid(runs, only.checked ? differ : params,
      (r, k) => (k in r.params ? fmt(r.params[k]) : "—"), differs));
    only.addEventListener("change", drawParams);
    drawParams();
    const metricKeys = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort();
    show("metrics", grid(runs, metricKeys, (r, k) => (k in r.metrics ? fmt(r.metrics[k]) : "—")));
    await curves(runs, points);
  }).catch((error) => showError("heads", error));
}
