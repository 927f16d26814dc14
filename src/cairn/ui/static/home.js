// Home: studies and experiments, newest first, with status and best score.
import { api, el, fmt, runLink, show, showError, status, table, when } from "./common.js";

function best(study) {
  const b = study.best;
  if (!b) return "";
  const score = b.score !== null && b.score !== undefined ? `${b.metric} ${fmt(b.score)}` : `loss ${fmt(b.loss)}`;
  return el("span", {}, score, " ", el("span", { class: "muted" }, "(trial ", runLink(b.run_id, String(b.trial)), ")"));
}

api("/api/studies").then(({ studies }) => {
  if (!studies.length) return show("studies", el("p", { class: "muted" }, "No studies yet: run 'cairn run'."));
  show("studies", table(["study", "name", "experiment", "strategy", "status", "trials", "best", "created"],
    studies.map((s) => [
      el("a", { href: `/studies/${s.id}` }, String(s.id)), el("a", { href: `/studies/${s.id}` }, s.name),
      el("a", { href: `/runs?experiment_id=${s.experiment_id}` }, s.experiment), s.strategy, status(s.status),
      s.n_trials, best(s), when(s.created_at),
    ]), { id: "studies-table" }));
}).catch((e) => showError("studies", e));

api("/api/experiments").then(({ experiments }) => {
  if (!experiments.length) return show("experiments", el("p", { class: "muted" }, "No experiments yet."));
  show("experiments", table(["experiment", "runs", "created", "last run"],
    experiments.map((e) => [el("a", { href: `/runs?experiment_id=${e.id}` }, e.name), e.n_runs, when(e.created_at),
      when(e.last_run)]), { id: "experiments-table" }));
}).catch((e) => showError("experiments", e));
