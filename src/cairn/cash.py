"""A whole CASH run: data -> search -> refit on all training rows -> test score -> model.

This is the library function behind ``cairn run``; the CLI only parses and prints.
Everything that can be wrong with the user's input is checked before the Store is
opened, so a bad file, column or space leaves the Store untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.errors import UserError
from cairn.registry.uri import DATASET_KEY, dataset_ref, safe_name
from cairn.space import Space
from cairn.study import Progress, Study, StudyResult
from cairn.track import Run, Store
from cairn.trial import Trial, fidelity_rank

if TYPE_CHECKING:
    from cairn.data import Dataset

DEFAULT_TRIALS = 40


@dataclass
class CashReport:
    """What a CASH run found and where it left it."""

    study_id: int
    run_id: str
    dataset: str
    task: str
    metric: str
    strategy: str
    seed: int
    n_trials: int
    n_failed: int
    elapsed: float
    leaderboard: list[dict[str, Any]]
    best_config: dict[str, Any]
    test_score: float
    model_path: str
    store: str
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_cash(
    data: str | Path | None = None,
    target: str | None = None,
    task: str | None = None,
    *,
    strategy: str = "random",
    n_trials: int | None = None,
    time_budget: float | None = None,
    cv: int = 5,
    holdout: float | None = None,
    metric: str | None = None,
    seed: int = 0,
    store: str | Store | None = None,
    space: Space | str | Path | None = None,
    learners: Sequence[str] | None = None,
    test_size: float = 0.2,
    trial_time_limit: float | None = None,
    experiment: str | None = None,
    callbacks: Sequence[Callable[[Progress], None]] = (),
    top: int = 10,
    reuse: bool = True,
    workers: int = 1,
    executor: str | None = None,
    scheduler: str | None = None,
    memory_limit: int | None = None,
    resume: int | None = None,
) -> CashReport:
    """Search learners and hyperparameters for ``data`` and save the best model.

    With neither ``n_trials`` nor ``time_budget`` it runs :data:`DEFAULT_TRIALS` trials.
    ``holdout`` (a validation fraction) replaces ``cv``-fold cross-validation.
    ``time_budget`` covers the whole call: loading, search, refit and saving.
    ``reuse`` shares fitted preprocessing through the process's reuse cache (the
    results are the same without it). Every trial's lineage is stored with its run, and
    the final model's with the study's run.

    ``workers`` trials run at once on ``executor`` (``serial``, ``processes`` or ``dask``;
    default: processes when ``workers`` > 1), each under ``memory_limit`` bytes.
    ``resume`` continues study ``resume`` of ``store`` with its recorded data, space,
    strategy, seed and settings (the arguments that define the search are ignored): its
    recorded trials are replayed, trials that were running when it stopped run again.
    """
    started = time.perf_counter()
    from cairn.data import check_folds, load_dataset, split_train_test
    from cairn.evaluate import CashObjective, Holdout, KFold, get_metric
    from cairn.evaluate.traced import process_cache
    from cairn.execute import make_executor
    from cairn.learners import cash_space, check_space
    from cairn.lineage import dataset as data_item
    from cairn.lineage.runs import save_trace
    from cairn.lineage.sklearn_ops import SplitSpec
    from cairn.optim import make_optimizer

    st = None
    if resume is not None:
        st = store if isinstance(store, Store) else Store(store)
        recorded = _recorded_search(st, resume)  # type: ignore[arg-type]
        data, target, task, strategy, seed, space = (recorded[k] for k in ("data", "target", "task", "strategy",
                                                                           "seed", "space"))
        n_trials, time_budget, cv, holdout, metric, test_size = (
            recorded[k] for k in ("n_trials", "time_budget", "cv", "holdout", "metric", "test_size"))
    if n_trials is None and time_budget is None:
        n_trials = DEFAULT_TRIALS
    dataset = load_dataset(data, target=target, task=task)
    if resume is not None and dataset.fingerprint != recorded["fingerprint"]:
        raise UserError(f"the data of study {resume} changed since it ran ({recorded['data']} has another "
                        "fingerprint), so it cannot be resumed")
    if not 0 < test_size < 1:
        raise UserError(f"the test fraction must be between 0 and 1, got {test_size}")
    train, test = split_train_test(dataset, test_size=test_size, seed=seed)
    # The same split as a lineage item, so traces start from the data as it was loaded.
    train_item = SplitSpec(Holdout(test_size, seed), dataset.task == "classification", 0, "train") \
        .item(data_item(dataset.fingerprint, dataset.name))
    if holdout is not None:
        if not 0 < holdout < 1:
            raise UserError(f"the holdout fraction must be between 0 and 1, got {holdout}")
        resampling = Holdout(fraction=holdout, seed=seed)
    else:
        if cv < 2:
            raise UserError(f"cross-validation needs at least 2 folds, got {cv}")
        check_folds(train, cv)
        resampling = KFold(k=cv, seed=seed)
    scorer = get_metric(metric, dataset.task)
    if space is None:
        space = cash_space(dataset.task, list(learners) if learners else None)
    elif not isinstance(space, Space):
        space = Space.from_file(space)
    check_space(space, dataset.task)
    optimizer = make_optimizer(strategy, space, seed=seed)
    objective = CashObjective(train, metric=scorer.name, resampling=resampling, seed=seed,
                              cache=process_cache() if reuse else None, source=train_item)

    st = st or (store if isinstance(store, Store) else Store(store))
    settings = {
        "dataset": dataset.name, "fingerprint": dataset.fingerprint, DATASET_KEY: _dataset_version(st, dataset),
        "source": _source_file(data), "target": dataset.target, "task": dataset.task,
        "metric": scorer.name, "resampling": repr(resampling), "test_size": test_size,
        "n_trials": n_trials, "time_budget": time_budget, "cv": cv, "holdout": holdout,
    }
    search_budget = None if time_budget is None else time_budget - (time.perf_counter() - started)
    if search_budget is not None and search_budget <= 0:
        raise UserError(f"the time budget of {time_budget:g} s was used up before the search could start")
    study = Study(optimizer, objective, store=st, experiment=experiment or dataset.name,
                  name=f"{dataset.name}-{strategy}-seed{seed}", n_trials=n_trials, time_budget=search_budget,
                  trial_time_limit=trial_time_limit, settings=settings, callbacks=callbacks,
                  reserve=_refit_reserve, resume=resume,
                  executor=make_executor(executor or ("serial" if workers == 1 else "processes"), workers,
                                         scheduler, memory_limit))
    result = study.optimize()
    best = result.best
    if best is None:
        errors = sorted({t.result.error for t in result.trials if t.result and t.result.error})
        raise UserError(f"every trial failed, so there is no model; first error: {errors[0] if errors else 'none'}")

    model, lineage = objective.refit_traced(best.config)
    test_score = objective.score(model, test)
    model_path = _save_model(st, result.run_id, model)
    save_trace(Run(st, result.run_id), lineage)
    st.log_metrics(result.run_id, {f"test_{scorer.name}": test_score, f"cv_{scorer.name}": best.result.metrics.get(scorer.name, float("nan"))})
    st.set_tags(result.run_id, {"best_trial": best.id})
    return CashReport(
        study_id=result.study_id, run_id=result.run_id, dataset=dataset.name, task=dataset.task,
        metric=scorer.name, strategy=strategy, seed=seed, n_trials=len(result.trials),
        n_failed=sum(1 for t in result.trials if not (t.result and t.result.ok)), elapsed=result.elapsed,
        leaderboard=leaderboard(result, scorer.name, top), best_config=dict(best.config),
        test_score=test_score, model_path=str(model_path), store=st.url,
    )


def _dataset_version(store: Store, dataset: Dataset) -> str:
    """Register (or find, by content) the version of the data the run was given; ``name:v``."""
    from cairn.registry.datasets import register_dataset

    name = safe_name(dataset.name)
    return dataset_ref(name, register_dataset(name, dataset, store=store))


def _recorded_search(store: Store, study_id: int) -> dict[str, Any]:
    """What defined study ``study_id``'s search, as ``run_cash`` arguments."""
    study = store.study(study_id)
    if study is None:
        raise UserError(f"there is no study {study_id} in the store at {store.url}")
    settings = study["settings"]
    if "cv" not in settings or "fingerprint" not in settings:
        raise UserError(f"study {study_id} was not recorded by `cairn run`, so it cannot be resumed from the CLI")
    return {"data": settings.get("source") or settings["dataset"], "target": settings.get("target"),
            "task": settings["task"], "strategy": study["strategy"], "seed": study["seed"],
            "space": Space.from_dict(study["space"]), "n_trials": settings["n_trials"],
            "time_budget": settings["time_budget"], "cv": settings["cv"], "holdout": settings["holdout"],
            "metric": settings["metric"], "test_size": settings["test_size"], "fingerprint": settings["fingerprint"]}


def _source_file(data: str | Path | None) -> str | None:
    """The absolute path of a data file, to find the data again; ``None`` for a bundled dataset."""
    from cairn.data import BUNDLED

    if data is None or (isinstance(data, str) and data in BUNDLED):
        return None
    return str(Path(data).resolve())


def _refit_reserve(result: StudyResult) -> float:
    """Time to keep for refitting the best config on all training rows and saving it:
    its per-fold fit time scaled up to every row, with a safety factor."""
    best = result.best
    if best is None:
        return 0.5
    # A fold trains on (k-1)/k of the rows; twice a fold's fit time covers all rows.
    return 0.5 + 2.0 * best.result.metrics.get("fit_time", 0.0)  # type: ignore[union-attr]


def leaderboard(result: StudyResult, metric: str, top: int = 10) -> list[dict[str, Any]]:
    """The ``top`` successful trials, best first: highest budget, then loss, then trial number."""
    ok = sorted((t for t in result.trials if t.result is not None and t.result.ok),
                key=lambda t: (-fidelity_rank(t), t.loss, t.id))
    return [_row(rank, t, metric) for rank, t in enumerate(ok[:top], start=1)]


def _row(rank: int, trial: Trial, metric: str) -> dict[str, Any]:
    m = trial.result.metrics  # type: ignore[union-attr]
    return {
        "rank": rank, "trial": trial.id, "budget": trial.budget, "learner": trial.config.get("learner", ""),
        "config": dict(trial.config), "loss": trial.loss,
        "score": m.get(metric), "score_std": m.get(f"{metric}_std"), "fit_time": m.get("fit_time"),
    }


def _save_model(store: Store, run_id: str, model: Any) -> Path:
    artifact = Run(store, run_id).log_model(model)
    return store.artifact_path(run_id, artifact)
