// Run page: overview, params, metrics (with plots of their histories), tags, artifacts
// (text and images inline), the lineage DAG, child runs; tag and delete with --allow-writes.
import {
  api, bytes, duration, el, fmt, num, page, pairs, plot, runLink, show, showError, status, table, when, writable,
} from "./common.js";
import { drawLineage } from "./lineage.js";

const runId = page.runId;
const base = `/api/runs/${encodeURIComponent(runId)}`;
const TEXT = /\.(txt|log|json|ya?ml|csv|tsv|md|trace|py|cfg|ini|toml)$/i;
const IMAGE = /\.(png|jpe?g|gif|webp)$/i;
const INLINE_TEXT_LIMIT = 256 * 1024;
const MAX_PLOTS = 24;

function artifactUrl(path, download = false) {
  return `${base}/artifact?${new URLSearchParams({ path, ...(download ? { download: "true" } : {}) })}`;
}

function overview(run) {
  const rows = [
    ["id", el("span", { class: "mono" }, run.id)], ["status", status(run.status)],
    ["started", when(run.start_time)], ["ended", when(run.end_time)], ["duration", duration(run.duration)],
  ];
  if (run.study) rows.push(["study", el("a", { href: `/studies/${run.study.id}` }, `${run.study.id} ${run.study.name}`)]);
  if (run.trial_number !== null) rows.push(["trial", String(run.trial_number)]);
  if (run.parent_run_id) rows.push(["parent run", runLink(run.parent_run_id)]);
  const actions = writable ? el("button", { type: "button", class: "danger", id: "delete-run", onclick: remove }, "Delete run") : null;
  return [el("table", { class: "pairs" }, el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))))), actions];
}

async function remove() {
  if (!window.confirm("Delete this run, its child runs and the artifacts only they use?")) return;
  await api(base, { method: "DELETE" });
  window.location.href = "/";
}

function tagForm() {
  const key = el("input", { name: "key", placeholder: "tag", required: true });
  const value = el("input", { name: "value", placeholder: "value" });
  const message = el("span", { class: "error" });
  return el("form", {
    class: "inline-form", id: "add-tag",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const { tags } = await api(`${base}/tags`, { method: "POST", body: { key: key.value, value: value.value } });
        show("tags", pairs(tags, "no tags"));
        message.textContent = "";
      } catch (error) {
        message.textContent = error.message;
      }
    },
  }, key, value, el("button", { type: "submit" }, "Set tag"), message);
}

async function histories(run) {
  const keys = Object.keys(run.metric_points).filter((k) => run.metric_points[k] > 1).sort().slice(0, MAX_PLOTS);
  if (!keys.length) return show("plots", el("p", { class: "muted" }, "Every metric of this run has a single value."));
  const boxes = keys.map((k) => el("figure", {}, el("figcaption", {}, k), el("div", { class: "plot", id: `plot-${keys.indexOf(k)}` })));
  show("plots", boxes);
  await Promise.all(keys.map(async (key, i) => {
    const h = await api(`${base}/metric-history?${new URLSearchParams({ key })}`);
    const text = h.n > h.steps.length ? ` (${h.steps.length} of ${h.n} points)` : "";
    boxes[i].firstChild.textContent = key + text;
    return plot(boxes[i].lastChild, [{ x: h.steps, y: h.values.map(num), type: "scatter", mode: h.n > 50 ? "lines" : "lines+markers", name: key }],
      { xaxis: { title: { text: "step" } }, height: 260 });
  }));
}

async function artifactView(a) {
  const link = el("a", { href: artifactUrl(a.path, true), download: a.path.split("/").pop() }, "download");
  const head = el("span", { class: "artifact-head" }, el("span", { class: "mono" }, a.path), " ", el("span", { class: "muted" }, bytes(a.size)), " ", link);
  if (IMAGE.test(a.path)) return el("div", { class: "artifact" }, head, el("img", { src: artifactUrl(a.path), alt: a.path, class: "artifact-image" }));
  if (TEXT.test(a.path) && a.size <= INLINE_TEXT_LIMIT) {
    const pre = el("pre", { class: "artifact-text" }, "…");
    fetch(artifactUrl(a.path), { credentials: "same-origin" }).then((r) => r.text()).then((t) => { pre.textContent = t; });
    return el("details", { class: "artifact", open: a.size <= 2048 }, el("summary", {}, head), pre);
  }
  return el("div", { class: "artifact" }, head);
}

async function lineage(run) {
  if (!run.artifacts.some((a) => a.path === "lineage.trace")) {
    return show("lineage", el("p", { class: "muted" }, "This run has no lineage trace (CASH trials and the runs that save their final model have one)."));
  }
  try {
    drawLineage(show("lineage"), await api(`${base}/lineage`));
  } catch (error) {
    showError("lineage", error);
  }
}

api(base).then(async (run) => {
  show("overview", overview(run));
  show("params", pairs(run.params, "no params"));
  const keys = Object.keys(run.metrics).sort();
  show("metrics", keys.length ? table(["metric", "latest", "points"], keys.map((k) => [el("span", { class: "mono" }, k), fmt(run.metrics[k]), run.metric_points[k] || 0]), { class: "pairs" })
    : el("p", { class: "muted" }, "no metrics"));
  show("tags", pairs(run.tags, "no tags"));
  if (writable) show("tag-form", tagForm());
  show("artifacts", run.artifacts.length ? await Promise.all(run.artifacts.map(artifactView)) : el("p", { class: "muted" }, "no artifacts"));
  if (run.children.length) {
    document.getElementById("children-section").hidden = false;
    show("children", table(["trial", "run", "name", "status"], run.children.map((c) => [c.trial_number, runLink(c.id), c.name || "", status(c.status)])));
  }
  await Promise.all([histories(run), lineage(run)]);
}).catch((error) => showError("overview", error));
