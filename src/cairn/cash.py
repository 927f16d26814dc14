"""A whole CASH run: data -> test split -> AutoML search -> test score -> saved model.

This is the library function behind ``cairn run``; the CLI only parses and prints. The
search itself (study, refit, ensemble) is :mod:`cairn.automl.engine`, the same one the
estimators use. Everything that can be wrong with the user's input is checked before
the Store is opened, so a bad file, column or space leaves the Store untouched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cairn.automl.engine import DEFAULT_TRIALS
from cairn.errors import UserError
from cairn.registry.uri import DATASET_KEY, dataset_ref, safe_name
from cairn.space import Space
from cairn.study import Progress
from cairn.track import Run, Store

if TYPE_CHECKING:
    from cairn.data import Dataset

#: Rounds of ensemble selection in ``cairn run``: the estimators' default, so the CLI
#: saves the model ``AutoClassifier`` would predict with; 0 saves the best config alone.
DEFAULT_ENSEMBLE_SIZE = 50


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
    ensemble: dict[str, Any] | None = None
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
    ensemble_size: int = DEFAULT_ENSEMBLE_SIZE,
) -> CashReport:
    """Search learners and hyperparameters for ``data`` and save the best model.

    With neither ``n_trials`` nor ``time_budget`` it runs :data:`DEFAULT_TRIALS` trials.
    ``holdout`` (a validation fraction) replaces ``cv``-fold cross-validation.
    ``time_budget`` covers the whole call: loading, search, refit, ensemble and saving.
    ``ensemble_size`` rounds of ensemble selection over the trials' out-of-fold
    predictions build an ensemble, which is saved instead of the best config when it
    scores better on those predictions (0: no ensemble).
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
    from cairn.automl.engine import AutoMLSearch, SearchSettings
    from cairn.data import load_dataset, split_train_test
    from cairn.evaluate import Holdout
    from cairn.lineage import dataset as data_item
    from cairn.lineage.runs import save_trace
    from cairn.lineage.sklearn_ops import SplitSpec

    st = None
    if resume is not None:
        st = store if isinstance(store, Store) else Store(store)
        recorded = _recorded_search(st, resume)  # type: ignore[arg-type]
        data, target, task, strategy, seed, space = (recorded[k] for k in ("data", "target", "task", "strategy",
                                                                           "seed", "space"))
        n_trials, time_budget, cv, holdout, metric, test_size = (
            recorded[k] for k in ("n_trials", "time_budget", "cv", "holdout", "metric", "test_size"))
        ensemble_size = ensemble_size if recorded["ensemble_size"] is None else recorded["ensemble_size"]
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
    if space is not None and not isinstance(space, Space):
        space = Space.from_file(space)
    settings = SearchSettings(
        strategy=strategy, n_trials=n_trials, time_budget=time_budget, metric=metric,
        resampling=holdout if holdout is not None else cv, learners=learners, space=space,
        ensemble_size=ensemble_size, seed=seed, reuse=reuse, workers=workers, executor=executor,
        scheduler=scheduler, memory_limit=memory_limit, trial_time_limit=trial_time_limit)
    search = AutoMLSearch(train, settings, source=train_item)
    metric_name = search.objective.metric.name

    st = st or (store if isinstance(store, Store) else Store(store))
    recorded_settings = {
        "dataset": dataset.name, "fingerprint": dataset.fingerprint, DATASET_KEY: _dataset_version(st, dataset),
        "source": _source_file(data), "target": dataset.target, "task": dataset.task,
        "metric": metric_name, "resampling": repr(search.resampling), "test_size": test_size,
        "n_trials": n_trials, "time_budget": time_budget, "cv": cv, "holdout": holdout,
        "ensemble_size": ensemble_size,
    }
    found = search.run(store=st, experiment=experiment or dataset.name, name=f"{dataset.name}-{strategy}-seed{seed}",
                       recorded=recorded_settings, callbacks=callbacks, resume=resume, started=started)
    result, best = found.study, found.best
    test_score = found.objective.score(found.model, test)
    model_path = _save_model(st, result.run_id, found.model)
    save_trace(Run(st, result.run_id), found.lineage)
    metrics = {f"test_{metric_name}": test_score, f"cv_{metric_name}": best.result.metrics.get(metric_name, math.nan)}
    if found.ensemble is not None:
        metrics[f"test_{metric_name}_best_trial"] = found.objective.score(found.best_model, test)
    st.log_metrics(result.run_id, metrics)
    st.set_tags(result.run_id, {"best_trial": best.id})
    return CashReport(
        study_id=result.study_id, run_id=result.run_id, dataset=dataset.name, task=dataset.task,
        metric=metric_name, strategy=strategy, seed=seed, n_trials=len(result.trials),
        n_failed=sum(1 for t in result.trials if not (t.result and t.result.ok)), elapsed=result.elapsed,
        leaderboard=found.leaderboard(top), best_config=dict(best.config),
        test_score=test_score, model_path=str(model_path), store=st.url, ensemble=found.ensemble_row(),
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
            "metric": settings["metric"], "test_size": settings["test_size"], "fingerprint": settings["fingerprint"],
            "ensemble_size": settings.get("ensemble_size")}


def _source_file(data: str | Path | None) -> str | None:
    """The absolute path of a data file, to find the data again; ``None`` for a bundled dataset."""
    from cairn.data import BUNDLED

    if data is None or (isinstance(data, str) and data in BUNDLED):
        return None
    return str(Path(data).resolve())


def _save_model(store: Store, run_id: str, model: Any) -> Path:
    artifact = Run(store, run_id).log_model(model)
    return store.artifact_path(run_id, artifact)
