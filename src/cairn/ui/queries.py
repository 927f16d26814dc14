"""Read-only listings for the UI that the Store's public methods do not give.

Experiments and studies with their sizes, the best trial of many studies at once, one
page of a run search with the number of matches, and how many points each metric of a
run holds. They read the Store's tables through its engine and never write; the runs
themselves (params, metrics, tags) always come from :meth:`Store.runs`, so the UI shows
what every other reader sees.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from cairn.errors import StoreError
from cairn.track import Store
from cairn.track import schema as s
from cairn.track.query import plan_search
from cairn.trial import Result, Trial, best_trial

_R = s.runs.c


def experiments(store: Store) -> list[dict[str, Any]]:
    """Every experiment with its number of runs and latest start, newest first."""
    e = s.experiments.c
    q = (sa.select(e.id, e.name, e.created_at, sa.func.count(_R.id).label("n_runs"),
                   sa.func.max(_R.start_time).label("last_run"))
         .select_from(s.experiments.outerjoin(s.runs, _R.experiment_id == e.id))
         .group_by(e.id, e.name, e.created_at).order_by(e.created_at.desc(), e.id.desc()))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def experiment_name(store: Store, experiment: int) -> str:
    """The name of experiment ``experiment``; :class:`StoreError` if there is none."""
    with store.read() as conn:
        found = conn.execute(sa.select(s.experiments.c.name).where(s.experiments.c.id == experiment)).scalar()
    if found is None:
        raise StoreError(f"there is no experiment {experiment}")
    return str(found)


def studies(store: Store, experiment: int | None = None) -> list[dict[str, Any]]:
    """Every study (of one experiment, if given) with its trial count and best trial, newest first."""
    st = s.studies.c
    trials = (sa.select(_R.study_id, sa.func.count().label("n_trials"))
              .where(_R.trial_number.is_not(None)).group_by(_R.study_id).subquery())
    q = (sa.select(st.id, st.name, st.strategy, st.seed, st.status, st.created_at, st.settings, st.parent_run_id,
                   st.experiment_id, s.experiments.c.name.label("experiment"),
                   sa.func.coalesce(trials.c.n_trials, 0).label("n_trials"))
         .join(s.experiments, s.experiments.c.id == st.experiment_id)
         .outerjoin(trials, trials.c.study_id == st.id).order_by(st.created_at.desc(), st.id.desc()))
    if experiment is not None:
        q = q.where(st.experiment_id == experiment)
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    for row in rows:
        row["metric"] = json.loads(row.pop("settings")).get("metric")
    bests = best_trials(store, {row["id"]: row["metric"] for row in rows})
    for row in rows:
        row["best"] = bests.get(row["id"])
    return rows


def best_trials(store: Store, metrics: dict[int, str | None]) -> dict[int, dict[str, Any]]:
    """Study id -> its best trial (run id, trial number, loss, and the study's metric
    if the trial recorded it), chosen as :func:`cairn.trial.best_trial` chooses: the
    lowest loss at the highest budget reached."""
    if not metrics:
        return {}
    loss, budget = s.latest_metrics.alias("loss"), s.params.alias("budget")
    q = (sa.select(_R.study_id, _R.id, _R.trial_number, loss.c.value, budget.c.value_num)
         .join(loss, (loss.c.run_id == _R.id) & (loss.c.key == "loss"))
         .outerjoin(budget, (budget.c.run_id == _R.id) & (budget.c.key == "budget"))
         .where(_R.study_id.in_(list(metrics)) & _R.trial_number.is_not(None) & (_R.status == "complete")))
    trials: dict[int, list[Trial]] = {}
    with store.read() as conn:
        for study_id, run_id, number, value, fidelity in conn.execute(q).all():
            if value is not None:
                trials.setdefault(study_id, []).append(
                    Trial(number, {}, fidelity, result=Result(value), info={"run_id": run_id}))
    best = {study: best_trial(found) for study, found in trials.items()}
    runs = {r["id"]: r for r in store.runs(run_ids=[t.info["run_id"] for t in best.values() if t is not None])}
    out = {}
    for study, trial in best.items():
        if trial is None:
            continue
        run = runs[trial.info["run_id"]]
        metric = metrics[study]
        out[study] = {"run_id": run["id"], "trial": trial.id, "loss": trial.loss, "metric": metric,
                      "score": run["metrics"].get(metric) if metric else None}
    return out


def search_page(store: Store, filter: str | None, order_by: Iterable[str], *, experiment: int | None = None,
                study: int | None = None, offset: int = 0, limit: int = 50) -> tuple[list[dict[str, Any]], int]:
    """One page of :meth:`Store.search_runs`' answer (same filter language and order) and
    the number of runs that match.

    ``search_runs`` has no offset; the planned queries are paged here with SQL ``OFFSET``
    and counted, then only the page's runs are read in full.
    """
    conditions = []
    if experiment is not None:
        experiment_name(store, experiment)  # an unknown one is the caller's mistake, not an empty page
        conditions.append(_R.experiment_id == experiment)
    if study is not None:
        conditions.append(_R.study_id == study)
    ids: list[str] = []
    total = 0
    with store.read() as conn:
        for q in plan_search(filter, conditions, list(order_by)):
            n = int(conn.execute(sa.select(sa.func.count()).select_from(q.order_by(None).subquery())).scalar() or 0)
            skip = max(offset - total, 0)
            total += n
            if len(ids) < limit and skip < n:
                ids += conn.execute(q.with_only_columns(_R.id).offset(skip).limit(limit - len(ids))).scalars().all()
    by_id = {r["id"]: r for r in store.runs(run_ids=ids)}
    return [by_id[i] for i in ids if i in by_id], total


def metric_points(store: Store, run_id: str) -> dict[str, int]:
    """Metric key -> number of points in the run's history."""
    c = s.metric_chunks.c
    q = sa.select(c.key, sa.func.sum(c.n_points)).where(c.run_id == run_id).group_by(c.key)
    with store.read() as conn:
        return {key: int(n) for key, n in conn.execute(q).all()}


def child_runs(store: Store, run_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The first ``limit`` child runs of a run (id, name, status, trial number), in trial order."""
    q = (sa.select(_R.id, _R.name, _R.status, _R.trial_number).where(_R.parent_run_id == run_id)
         .order_by(_R.trial_number, _R.start_time).limit(limit))
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]

