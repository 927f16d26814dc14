// Study page: best so far (over trials and time), score per trial by learner, learners
// compared, hyperparameter importance, parallel coordinates, and where they apply the
// Pareto front and the budgets per rung. All figures come from /api/studies/ID.
import {
  PALETTE, api, duration, el, fmt, num, page, plot, runLink, show, showError, status, table, when,
} from "./common.js";
import { drawParallel } from "./parallel.js";

// Beyond this many lines the parallel-coordinates plot shows the best ones only, and the
// trials table the first ones (the runs table pages through all of them).
const MAX_LINES = 500;
const MAX_ROWS = 500;

function overview(f) {
  const s = f.study;
  const ok = f.trials.filter((t) => t.ok).length;
  const rows = [
    ["experiment", el("a", { href: `/runs?experiment_id=${s.experiment_id}` }, s.experiment)],
    ["strategy", s.strategy], ["seed", s.seed === null ? "none" : String(s.seed)], ["status", status(s.status)],
    ["created", when(s.created_at)],
    ["trials", `${f.trials.length} (${ok} successful, ${f.trials.length - ok} failed or stopped)`],
    ["runs", el("a", { href: `/runs?study_id=${s.id}`, id: "study-runs" }, "all runs of this study in the runs table")],
  ];
  if (f.best) {
    rows.push(["best trial", el("span", { id: "best-trial" }, runLink(f.best.run_id, `trial ${f.best.number}`),
      ` ${f.score_name} ${fmt(f.best.score)}`, f.best.learner ? ` (${f.best.learner})` : "")]);
  }
  if (f.parent) {
    rows.push(["study run", runLink(f.parent.id)]);
    for (const [k, v] of Object.entries(f.parent.metrics).sort()) rows.push([k, fmt(v)]);
  }
  return [
    el("table", { class: "pairs" }, el("tbody", {}, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v))))),
    el("details", {}, el("summary", {}, "settings"), el("pre", {}, JSON.stringify(s.settings, null, 2))),
  ];
}

function lowerIsBetter(f) {
  if (f.score_name === "loss") return true;
  const ok = f.trials.filter((t) => t.ok && t.score !== null);
  const bestTrial = ok.reduce((a, b) => (num(b.loss) < num(a.loss) ? b : a), ok[0]);
  const worstTrial = ok.reduce((a, b) => (num(b.loss) > num(a.loss) ? b : a), ok[0]);
  return !bestTrial || num(bestTrial.score) <= num(worstTrial.score);
}

function bestSoFar(f) {
  const curve = f.best_so_far;
  if (!curve.length) {
    for (const id of ["best-trials", "best-time"]) show(id, el("p", { class: "muted" }, "No successful trials."));
    return;
  }
  const byNumber = new Map(f.trials.map((t) => [t.number, t]));
  const each = { x: curve.map((p) => p.n), y: curve.map((p) => num(byNumber.get(p.trial).score)), mode: "markers",
    type: "scatter", name: "trial", marker: { color: "#bbb", size: 6 }, text: curve.map((p) => `trial ${p.trial}`) };
  const line = (x, title) => plot(title, [
    { ...each, x },
    { x, y: curve.map((p) => num(p.score)), mode: "lines", line: { shape: "hv", width: 2.5, color: PALETTE[0] }, name: "best so far",
      text: curve.map((p) => `best: trial ${p.best_trial}`) },
  ], { xaxis: { title: { text: title === "best-trials" ? "trials finished" : "seconds since the study started" } },
    yaxis: { title: { text: f.score_name } }, showlegend: false });
  line(curve.map((p) => p.n), "best-trials");
  line(curve.map((p) => num(p.elapsed)), "best-time");
}

function groupedByLearner(trials) {
  const groups = new Map();
  for (const t of trials) {
    const key = t.learner || "all trials";
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(t);
  }
  return groups;
}

function scores(f) {
  const ok = f.trials.filter((t) => t.ok);
  if (!ok.length) return show("scores", el("p", { class: "muted" }, "No successful trials."));
  const traces = [...groupedByLearner(ok)].map(([learner, ts], i) => ({
    x: ts.map((t) => t.number), y: ts.map((t) => num(t.score)), type: "scatter", mode: "markers", name: learner,
    marker: { color: PALETTE[i % PALETTE.length], size: 8 },
    text: ts.map((t) => `trial ${t.number}${t.budget === null ? "" : ` at budget ${fmt(t.budget)}`}`),
    customdata: ts.map((t) => t.run_id),
  }));
  plot("scores", traces, { xaxis: { title: { text: "trial" } }, yaxis: { title: { text: f.score_name } } })
    .then((node) => node.on("plotly_click", (e) => { window.location.href = `/runs/${e.points[0].customdata}`; }));
}

function learners(f) {
  const entries = Object.entries(f.learners);
  if (!entries.length) return show("learners", el("p", { class: "muted" }, "No successful trials."));
  plot("learners", entries.map(([learner, values], i) => ({
    y: values.map(num), type: "box", name: learner, boxpoints: "all", jitter: 0.4, pointpos: 0,
    marker: { color: PALETTE[i % PALETTE.length] },
  })), { yaxis: { title: { text: f.score_name } }, showlegend: false });
}

function importance(f) {
  const rows = f.importance;
  if (!rows.length) return show("importance", el("p", { class: "muted" }, "Needs at least four successful trials whose losses differ."));
  const shown = rows.slice(0, 15).reverse();
  plot("importance", [{ type: "bar", orientation: "h", x: shown.map((r) => r.importance), y: shown.map((r) => r.param),
    marker: { color: PALETTE[0] }, customdata: shown.map((r) => r.groups),
    hovertemplate: "%{y}: %{x:.3f} (%{customdata} groups)<extra></extra>" }],
  { margin: { l: 170, r: 15, t: 10, b: 45 }, xaxis: { title: { text: "share of loss variance explained (ω²)" } },
    height: Math.max(220, 24 * shown.length + 70) });
}

function pareto(f) {
  if (!f.pareto) return;
  document.getElementById("pareto-figure").hidden = false;
  const front = f.pareto.filter((p) => p.front).sort((a, b) => num(a.objectives[0]) - num(b.objectives[0]));
  const rest = f.pareto.filter((p) => !p.front);
  const trace = (ps, name, extra) => ({ x: ps.map((p) => num(p.objectives[0])), y: ps.map((p) => num(p.objectives[1])),
    type: "scatter", name, text: ps.map((p) => `trial ${p.trial}`), ...extra });
  plot("pareto", [trace(rest, "dominated", { mode: "markers", marker: { color: "#bbb", size: 7 } }),
    trace(front, "Pareto front", { mode: "lines+markers", line: { shape: "hv", color: PALETTE[3] }, marker: { size: 9 } })],
  { xaxis: { title: { text: "objective 0" } }, yaxis: { title: { text: "objective 1" } } });
}

function rungs(f) {
  if (!f.rungs) return;
  document.getElementById("rungs-figure").hidden = false;
  plot("rungs", f.rungs.map((r, i) => {
    const name = `budget ${fmt(r.budget)} (${r.n} trials)`;
    return { type: "box", x: r.losses.map(() => name), y: r.losses.map(num), name, boxpoints: "all", jitter: 0.4,
      pointpos: 0, marker: { color: PALETTE[i % PALETTE.length] } };
  }), { yaxis: { title: { text: "loss" } }, showlegend: false });
}

function parallel(f) {
  const ok = f.trials.filter((t) => t.ok && t.budget === f.compared_budget)
    .sort((a, b) => num(a.loss) - num(b.loss)).slice(0, MAX_LINES);
  const target = document.getElementById("parallel");
  if (!ok.length || !f.parallel.length) return show(target, el("p", { class: "muted" }, "No hyperparameters to draw."));
  drawParallel(target, f.parallel, ok, f.score_name, lowerIsBetter(f));
}

function trialsTable(f) {
  const budgets = f.rungs !== null;
  const score = f.score_name !== "loss";
  const more = f.trials.length > MAX_ROWS
    ? el("p", { class: "muted" }, `The first ${MAX_ROWS} of ${f.trials.length} trials; `,
      el("a", { href: `/runs?study_id=${f.study.id}&order_by=trial_number+asc` }, "all of them in the runs table"), ".")
    : null;
  show("trials", more, table(["trial", "run", "learner", ...(budgets ? ["budget"] : []), ...(score ? [f.score_name] : []),
    "loss", "status", "duration", "error"],
  f.trials.slice(0, MAX_ROWS).map((t) => [t.number, runLink(t.run_id), t.learner || "", ...(budgets ? [fmt(t.budget)] : []),
    ...(score ? [fmt(t.score)] : []), fmt(t.loss), status(t.status),
    duration(t.end === null ? null : num(t.end) - num(t.start)), t.error || ""])));
}

// Under figures drawn from one budget's trials, say which.
function noteBudget(f) {
  if (f.rungs === null || f.compared_budget === null) return;
  for (const id of ["learners", "importance", "parallel"]) {
    document.getElementById(id).before(el("p", { class: "muted note" }, `trials at budget ${fmt(f.compared_budget)}`));
  }
}

api(`/api/studies/${page.studyId}`).then((f) => {
  show("overview", overview(f));
  for (const draw of [bestSoFar, scores, learners, importance, pareto, rungs, parallel, trialsTable, noteBudget]) {
    try {
      draw(f);
    } catch (error) {
      console.error(error);
    }
  }
}).catch((error) => showError("overview", error));
