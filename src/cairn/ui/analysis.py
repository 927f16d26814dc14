"""What a study page draws, computed from the study's runs.

Each trial run becomes a small record (number, learner, params, budget, loss, score,
objectives, times); from them come the best-so-far curve, hyperparameter importance,
the scores per learner, the Pareto front of a multi-objective study and the rungs of a
multi-fidelity one. The best trial and the front are chosen by cairn's own rules
(:func:`cairn.trial.best_trial`, :func:`cairn.optim.pareto.pareto_front`), so the page
agrees with ``cairn runs`` and the search itself.

Importance is a first-order variance decomposition (a "fANOVA-lite"): for each
hyperparameter, the trials are grouped by its value (categories as they are, numbers in
up to :data:`BINS` quantile bins, inactive as a group of its own) and the share of the
loss variance that the group means explain is estimated with omega squared, which
subtracts what that many groups would explain by chance. It needs no model, but it sees
each parameter alone: interactions are not credited to anyone.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cairn.errors import StoreError
from cairn.optim.pareto import pareto_front
from cairn.replay import OBJECTIVE, TOLD_AS
from cairn.track import Store
from cairn.trial import Result, Trial, best_trial, fidelity_rank

#: Quantile bins of a numeric hyperparameter in the importance estimate.
BINS = 4
#: Fewest successful trials at one budget for comparing them (importance, learners, axes).
MIN_COMPARED = 4
#: Hyperparameters drawn in the parallel-coordinates plot (the most important ones).
PARALLEL_PARAMS = 8


def study_figures(store: Store, study_id: int) -> dict[str, Any]:
    """Everything the study page shows, as plain JSON-able data."""
    study = store.study(study_id)
    if study is None:
        raise StoreError(f"there is no study {study_id}")
    runs = store.runs(study_id=study_id)
    metric = study["settings"].get("metric")
    records = [_record(run, metric) for run in runs if run["trial_number"] is not None]
    parent = next((r for r in runs if r["id"] == study["parent_run_id"]), None)
    trials = [Trial(r["number"], r["params"], r["budget"], result=Result(r["loss"], objectives=tuple(r["objectives"])),
                    info=r) for r in records if r["ok"]]
    compared = _comparable(trials)
    best = best_trial(trials)
    importance = _importance(compared)
    score_name = metric if any(r["score"] is not None for r in records) and metric else "loss"
    for r in records:
        r["score"] = r["score"] if score_name != "loss" else r["loss"]
    return {
        "study": study,
        "parent": parent,
        "score_name": score_name,
        "trials": records,
        "best": best.info if best is not None else None,
        "best_so_far": _best_so_far(trials, study["created_at"]),
        "compared_budget": compared[0].budget if compared else None,
        "importance": importance,
        "learners": _by_learner(compared),
        "parallel": _parallel_axes(study["space"], [i["param"] for i in importance], compared),
        "pareto": _pareto(trials),
        "rungs": _rungs(records),
    }


def _record(run: dict[str, Any], metric: str | None) -> dict[str, Any]:
    params = dict(run["params"])
    budget = params.pop("budget", None)
    metrics = run["metrics"]
    loss = metrics.get("loss")
    objectives = []
    while f"{OBJECTIVE}{len(objectives)}" in metrics:
        objectives.append(metrics[f"{OBJECTIVE}{len(objectives)}"])
    told = run["tags"].get(TOLD_AS)
    return {
        "number": run["trial_number"], "run_id": run["id"], "status": run["status"],
        "learner": params.get("learner"), "params": params, "budget": budget, "loss": loss,
        "score": metrics.get(metric) if metric else None, "objectives": objectives,
        "start": run["start_time"], "end": run["end_time"], "told": int(told) if told is not None else None,
        "error": run["tags"].get("error"),
        "ok": run["status"] == "complete" and loss is not None and math.isfinite(loss),
    }


def _comparable(trials: list[Trial]) -> list[Trial]:
    """The trials whose losses can be compared: those at the highest budget with at least
    :data:`MIN_COMPARED` results (else the highest budget), as BOHB models the largest
    budget with enough results. Losses at different fidelities differ by the budget."""
    by_budget: dict[float, list[Trial]] = {}
    for t in trials:
        by_budget.setdefault(fidelity_rank(t), []).append(t)
    ranks = sorted(by_budget, reverse=True)
    return next((by_budget[r] for r in ranks if len(by_budget[r]) >= MIN_COMPARED), by_budget[ranks[0]] if ranks else [])


def _best_so_far(trials: list[Trial], study_start: float) -> list[dict[str, Any]]:
    """After each successful trial, in the order results arrived: the best trial as
    :func:`best_trial` would name it then (lowest loss at the highest budget reached so
    far), its loss and score, and the seconds since the study started."""
    out: list[dict[str, Any]] = []
    best: Trial | None = None
    ordered = sorted(trials, key=lambda t: (t.info["told"] is None, t.info["told"] or 0, t.info["end"] or 0))
    for n, t in enumerate(ordered, 1):
        if best is None or (fidelity_rank(t), -t.loss) > (fidelity_rank(best), -best.loss):
            best = t
        r = t.info
        out.append({"n": n, "trial": r["number"], "elapsed": (r["end"] or r["start"]) - study_start,
                    "loss": best.loss, "score": best.info["score"], "best_trial": best.id, "budget": best.budget})
    return out


def _importance(trials: list[Trial]) -> list[dict[str, Any]]:
    """Hyperparameters by the share of loss variance their value explains alone (omega squared)."""
    if len(trials) < MIN_COMPARED:
        return []
    losses = np.array([t.loss for t in trials])
    total = float(np.sum((losses - losses.mean()) ** 2))
    if total == 0:
        return []
    names = sorted({k for t in trials for k in t.config})
    out = []
    for name in names:
        groups = _groups([t.config.get(name) for t in trials])
        k = len(set(groups))
        if k < 2:
            continue
        between = sum(np.sum(groups == g) * (losses[groups == g].mean() - losses.mean()) ** 2 for g in set(groups))
        within_mean_square = (total - between) / max(len(trials) - k, 1)
        omega = (between - (k - 1) * within_mean_square) / (total + within_mean_square)
        out.append({"param": name, "importance": max(float(omega), 0.0), "groups": k})
    return sorted(out, key=lambda r: (-r["importance"], r["param"]))


def _groups(values: list[Any]) -> np.ndarray:
    """A group label per value: categories as text, numbers by quantile bin, ``None`` apart."""
    numeric = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if numeric and len(numeric) == sum(v is not None for v in values):
        edges = np.unique(np.quantile(numeric, np.linspace(0, 1, BINS + 1)[1:-1]))
        return np.array(["inactive" if v is None else f"bin{int(np.searchsorted(edges, v, side='right'))}"
                         for v in values])
    return np.array(["inactive" if v is None else f"={v}" for v in values])


def _by_learner(trials: list[Trial]) -> dict[str, list[float]]:
    """Learner -> the scores of its successful trials (one group when there is no learner)."""
    out: dict[str, list[float]] = {}
    for t in trials:
        score = t.info["score"] if t.info["score"] is not None else t.loss
        out.setdefault(str(t.info["learner"] or "all trials"), []).append(score)
    return out


def _parallel_axes(space: dict[str, Any], by_importance: list[str], trials: list[Trial]) -> list[dict[str, Any]]:
    """The axes of the parallel-coordinates plot: the learner, then the most important
    hyperparameters (all, in space order, when importance is unknown)."""
    declared = space.get("params", {})
    present = {k for t in trials for k in t.config}
    ranked = [n for n in by_importance if n != "learner"] or [n for n in declared if n in present and n != "learner"]
    names = (["learner"] if "learner" in present else []) + ranked[:PARALLEL_PARAMS]
    axes = []
    for name in names:
        values = [t.config.get(name) for t in trials]
        spec = declared.get(name, {})
        numeric = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)
        if numeric:
            axes.append({"name": name, "kind": "numeric", "log": bool(spec.get("log"))})
        else:
            seen = list(spec.get("choices") or []) or sorted({str(v) for v in values if v is not None})
            axes.append({"name": name, "kind": "categorical", "categories": [str(c) for c in seen]})
    return axes


def _pareto(trials: list[Trial]) -> list[dict[str, Any]] | None:
    """For a study with two or more objectives: every successful trial's objectives and
    whether it is on the front."""
    if not any(len(t.result.objectives) >= 2 for t in trials):  # type: ignore[union-attr]
        return None
    front = {t.id for t in pareto_front(trials)}
    return [{"trial": t.id, "run_id": t.info["run_id"], "objectives": list(t.result.objectives),  # type: ignore[union-attr]
             "front": t.id in front} for t in trials]


def _rungs(records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """For a multi-fidelity study: each budget with its trials and their losses."""
    budgets = sorted({r["budget"] for r in records if r["budget"] is not None})
    if not budgets:
        return None
    return [{"budget": b, "n": sum(r["budget"] == b for r in records),
             "losses": [r["loss"] for r in records if r["budget"] == b and r["ok"]]} for b in budgets]
