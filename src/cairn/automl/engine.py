"""The AutoML engine: the one search behind ``cairn run``, AutoClassifier and AutoRegressor.

A face hands it training data and :class:`SearchSettings`. :class:`AutoMLSearch` checks
them all before any store is touched, then runs a :class:`~cairn.study.Study` whose
objective keeps out-of-fold predictions, refits the best config and builds a post-hoc
ensemble from those predictions (no refits beyond its members). The ensemble is kept
when it beats the best trial on the same out-of-fold rows: one rule for every face, so
``cairn run`` saves the model an estimator would predict with. What a face does around
the search (load a file and hold out a test split, or take arrays from ``fit``) is its own.
"""

from __future__ import annotations

import heapq
import json
import math
import numbers
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cairn.errors import UserError
from cairn.learners.decision import decision_prior
from cairn.lineage.item import Item, canonical
from cairn.lineage.recompute import operation
from cairn.space import Space
from cairn.study import Progress, Study, StudyResult
from cairn.trial import Trial, fidelity_rank

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

    from cairn.data import Dataset
    from cairn.evaluate import CashObjective, Holdout, KFold, Metric
    from cairn.track import Store

#: Trials run when a search is given neither a trial count nor a time budget.
DEFAULT_TRIALS = 40
#: Rounds of ensemble selection: Caruana et al.'s and auto-sklearn's choice, weights in steps of 2 %.
DEFAULT_ENSEMBLE_SIZE = 50
#: Seconds kept for the fixed costs after a search (bookkeeping, scoring, saving a model).
FINISH_RESERVE = 0.5
#: Members an ensemble is expected to refit, for the time kept for them: selection with
#: replacement rarely picks more distinct configs than this in 50 rounds.
EXPECTED_MEMBERS = 5
#: The most of the time budget kept for refitting the ensemble's members besides the
#: best: the ensemble takes only members whose refits fit in the time left, so keeping
#: more for a slow member would only cut the search short.
MEMBERS_SHARE = 0.1
#: The least time kept for the ensemble (members' refits and selection), as a share of
#: the time budget and at most :data:`ENSEMBLE_FLOOR` seconds: on a fast table the
#: estimates of both are milliseconds, while the search's last trials, the best refit and
#: starting selection take tenths of a second the estimates miss, and the ensemble got none.
ENSEMBLE_SHARE, ENSEMBLE_FLOOR = 0.05, 1.0
#: Candidates whose selection the time budget reserves for; whatever time is left when
#: the search ends lets selection look at more (up to ``N_BEST``).
RESERVED_CANDIDATES = 10
#: What ``resampling="auto"`` chooses between (see :func:`auto_resampling`).
AUTO_FOLDS, AUTO_HOLDOUT = 5, 0.2
#: A table of fewer rows always gets cross-validation; from this many rows it is large,
#: and a search under a time budget also tries boosting second (see ``cheap_config_first``).
HOLDOUT_MIN_ROWS = 10_000
#: Below this many rows ``resampling="auto"`` repeats its folds this many times.
SMALL_TABLE_ROWS, SMALL_TABLE_REPEATS = 300, 3
#: The lineage operation of a fitted ensemble: its inputs are the members' pipelines.
ENSEMBLE_OP = "ensemble"


@dataclass(frozen=True)
class SearchSettings:
    """What defines a search apart from its data.

    ``resampling`` is a number of folds (k-fold CV, stratified for classification), a
    holdout fraction in (0, 1), or ``"auto"`` (see :func:`auto_resampling`). ``learners`` (default: every learner of the task) less
    ``exclude`` make the space, unless ``space`` is given. ``ensemble_size`` rounds of
    ensemble selection; 0 builds no ensemble. ``time_budget`` covers the whole search,
    the refit and the ensemble; with neither it nor ``n_trials``, :data:`DEFAULT_TRIALS`
    trials run.
    """

    strategy: str = "random"
    n_trials: int | None = None
    time_budget: float | None = None
    metric: str | None = None
    resampling: int | float | str = 5
    learners: Sequence[str] | None = None
    exclude: Sequence[str] = ()
    space: Space | None = None
    ensemble_size: int = DEFAULT_ENSEMBLE_SIZE
    seed: int = 0
    reuse: bool = True
    workers: int = 1
    executor: str | None = None
    scheduler: str | None = None
    memory_limit: int | None = None
    trial_time_limit: float | None = None

    def __post_init__(self) -> None:
        if self.n_trials is not None and not _whole(self.n_trials, 1):
            raise UserError(f"the number of trials must be a whole number of at least 1, got {self.n_trials!r}")
        if self.time_budget is not None and not _positive(self.time_budget):
            raise UserError(f"the time budget must be a positive number of seconds, got {self.time_budget!r}")
        if self.trial_time_limit is not None and not _positive(self.trial_time_limit):
            raise UserError(f"the trial time limit must be a positive number of seconds, got {self.trial_time_limit!r}")
        if not _whole(self.ensemble_size, 0):
            raise UserError(f"the ensemble size must be a whole number of at least 0, got {self.ensemble_size!r}")
        if not _whole(self.workers, 1):
            raise UserError(f"the number of workers must be a whole number of at least 1, got {self.workers!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral):
            raise UserError(f"the seed must be a whole number, got {self.seed!r}")

    @property
    def trial_count(self) -> int | None:
        """The Study's trial count: :data:`DEFAULT_TRIALS` only when no budget was given."""
        return DEFAULT_TRIALS if self.n_trials is None and self.time_budget is None else self.n_trials


def auto_resampling(rows: int, columns: int, time_budget: float | None, seed: int = 0) -> Holdout | KFold:
    """What ``resampling="auto"`` means for a table of ``rows`` x ``columns``: 5-fold CV,
    repeated on a small table, unless a time budget is too short for CV on a large table;
    then one holdout split.

    The cost rule is FLAML's: CV while ``rows * columns / 0.9`` stays under 10 million
    cells per hour of budget and there are under 100,000 rows. Unlike FLAML, a table of
    fewer than :data:`HOLDOUT_MIN_ROWS` rows always gets CV: there a holdout's
    validation rows are too few to rank configs (a digits holdout of 10 % is 135 images,
    where one image is 0.7 points of accuracy), and trials are cheap anyway. Under
    :data:`SMALL_TABLE_ROWS` rows the folds are drawn :data:`SMALL_TABLE_REPEATS` times:
    on a hundred rows one split's luck decides which of hundreds of configs looks best
    (a search of wine spent a thousand trials on one lucky decision tree). Paired on
    splits the AutoML benchmark does not use (``bench/results/automl_resampling.md``),
    repeats did better on 8 and worse on 3 of 20 on wine and iris (about 120 rows), and
    better on 2 and worse on 3 of 10 on breast_cancer (426 rows), where they cost over
    half the trials.
    """
    from cairn.evaluate import Holdout, KFold

    if time_budget is not None and rows >= HOLDOUT_MIN_ROWS and not (
            rows * columns / 0.9 < 10_000_000 * time_budget / 3600 and rows < 100_000):
        return Holdout(fraction=AUTO_HOLDOUT, seed=seed)
    return KFold(k=AUTO_FOLDS, repeats=SMALL_TABLE_REPEATS if rows < SMALL_TABLE_ROWS else 1, seed=seed)


def make_resampling(resampling: int | float, seed: int) -> Holdout | KFold:
    """k-fold CV for a whole number, one holdout split for a fraction."""
    from cairn.evaluate import Holdout, KFold

    if isinstance(resampling, bool) or not isinstance(resampling, numbers.Real):
        raise UserError(f"resampling must be a number of folds, a holdout fraction or 'auto', got {resampling!r}")
    if isinstance(resampling, numbers.Integral):
        if resampling < 2:
            raise UserError(f"cross-validation needs at least 2 folds, got {resampling}")
        return KFold(k=int(resampling), seed=seed)
    if not 0 < resampling < 1:
        raise UserError(f"the holdout fraction must be between 0 and 1, got {resampling}")
    return Holdout(fraction=float(resampling), seed=seed)


def search_space(task: str, learners: Sequence[str] | None, exclude: Sequence[str]) -> Space:
    """The CASH space of ``learners`` (default: all of the task's) without ``exclude``."""
    from cairn.learners import cash_space, get_learner, learner_names

    for name in [*(learners or []), *exclude]:
        get_learner(name, task)  # an unknown name is a UserError listing the valid ones
    chosen = [name for name in (learners or learner_names(task)) if name not in set(exclude)]
    if not chosen:
        raise UserError(f"excluding {', '.join(exclude)} leaves no learner to search")
    return cash_space(task, chosen)


@dataclass
class AutoMLResult:
    """What a search found: the study, the objective (its data, metric and folds), the
    best trial refitted on all training rows with its lineage, and the ensemble when it
    was kept. ``ensemble_info`` is :func:`~cairn.automl.ensemble.build_ensemble`'s, plus
    ``kept``, ``fit_time``, the kept ensemble's ``lineage`` and why not in ``reason``."""

    study: StudyResult
    objective: CashObjective
    best: Trial
    best_model: Pipeline
    best_lineage: Item
    ensemble: Any = None
    ensemble_info: dict[str, Any] = field(default_factory=dict)

    @property
    def metric(self) -> Metric:
        return self.objective.metric

    @property
    def model(self) -> Any:
        """The model to predict with: the ensemble when it was kept, else the best trial's."""
        return self.ensemble if self.ensemble is not None else self.best_model

    @property
    def lineage(self) -> Item:
        """The lineage of :attr:`model`."""
        return self.ensemble_info["lineage"] if self.ensemble is not None else self.best_lineage

    def leaderboard(self, top: int | None = None) -> list[dict[str, Any]]:
        """The ``top`` successful trials, best first: highest budget, then loss, then trial number."""
        ok = sorted((t for t in self.study.trials if t.result is not None and t.result.ok),
                    key=lambda t: (-fidelity_rank(t), t.loss, t.id))
        return [trial_row(rank, t, self.metric.name) for rank, t in enumerate(ok[:top], start=1)]

    def ensemble_row(self) -> dict[str, Any] | None:
        """The ensemble as a leaderboard row, when selection chose two members or more:
        its out-of-fold score (pooled over the validated rows), its members as
        ``{trial: weight}``, the seconds it took, and whether it was kept."""
        info = self.ensemble_info
        if len(info.get("trial_ids", ())) < 2:
            return None
        return {"rank": None, "trial": None, "budget": None, "learner": "ensemble",
                "config": {"members": dict(zip(info["trial_ids"], info["weights"], strict=True))},
                "loss": self.metric.loss(info["score"]), "score": info["score"], "score_std": None,
                "fit_time": info["fit_time"], "kept": info["kept"]}

    def rows(self) -> list[dict[str, Any]]:
        """Every trial, best first and the unsuccessful ones last (by number), with the
        ensemble's row placed by its loss; each with its ``status``, ``error`` and
        whether it is ``chosen`` (the row of :attr:`model`)."""
        ok = [dict(row, status="complete", error=None, chosen=self.ensemble is None and row["trial"] == self.best.id)
              for row in self.leaderboard()]
        ensemble = self.ensemble_row()
        if ensemble is not None:
            ok = with_ensemble(ok, dict(ensemble, status="complete", error=None, chosen=ensemble["kept"]))
        rest = sorted((t for t in self.study.trials if t.result is None or not t.result.ok), key=lambda t: t.id)
        return ok + [{"trial": t.id, "budget": t.budget, "learner": t.config.get("learner", ""),
                      "config": dict(t.config), "status": t.state.value, "chosen": False,
                      "error": t.result.error if t.result is not None else None} for t in rest]


def with_ensemble(rows: list[dict[str, Any]], ensemble: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Leaderboard ``rows`` with the ensemble's row placed before the first that loses more."""
    if ensemble is None:
        return rows
    at = next((i for i, row in enumerate(rows) if row["loss"] > ensemble["loss"]), len(rows))
    return [*rows[:at], ensemble, *rows[at:]]


def trial_row(rank: int, trial: Trial, metric: str) -> dict[str, Any]:
    """One successful trial as a leaderboard row."""
    m = trial.result.metrics  # type: ignore[union-attr]
    return {
        "rank": rank, "trial": trial.id, "budget": trial.budget, "learner": trial.config.get("learner", ""),
        "config": dict(trial.config), "loss": trial.loss,
        "score": m.get(metric), "score_std": m.get(f"{metric}_std"), "fit_time": m.get("fit_time"),
    }


class AutoMLSearch:
    """One search over ``train``: every setting is checked here, at construction, so a
    face can refuse bad input before it opens a store; :meth:`run` does the work.

    ``source`` is the lineage of ``train`` (default: the data itself), e.g. the training
    side of a train/test split.
    """

    def __init__(self, train: Dataset, settings: SearchSettings, source: Item | None = None):
        from cairn.data import check_folds
        from cairn.evaluate import CashObjective, get_metric
        from cairn.evaluate.traced import process_cache
        from cairn.learners import check_space
        from cairn.optim import make_optimizer

        self.train, self.settings = train, settings
        self._scoring: float | None = None  # seconds of one ensemble score (see _score_time)
        self.resampling = auto_resampling(*train.X.shape, settings.time_budget, settings.seed) \
            if settings.resampling == "auto" else make_resampling(settings.resampling, settings.seed)
        check_folds(train, self.resampling.min_rows)
        metric = get_metric(settings.metric, train.task)
        self.space = settings.space if settings.space is not None else \
            search_space(train.task, settings.learners, settings.exclude)
        check_space(self.space, train.task)
        # Under a time budget, a cheap portfolio config goes first, so that even a large
        # table whose first configs outlast the budget ends with a model, and on a large
        # table a boosting config next; and TPE prefers cheap configs while most of the
        # workers' time is ahead (cost cooling).
        hurried = {"cheap_first": True, "large_table": len(train.X) >= HOLDOUT_MIN_ROWS,
                   "inner_options": {"cost_budget": settings.time_budget * settings.workers}} \
            if settings.strategy == "auto" and settings.time_budget is not None else {}
        self.optimizer = make_optimizer(settings.strategy, self.space, seed=settings.seed, **hurried)
        self.objective = CashObjective(train, metric=metric, resampling=self.resampling, seed=settings.seed,
                                       cache=process_cache() if settings.reuse else None, source=source,
                                       keep_predictions=settings.ensemble_size > 0)

    def run(self, *, store: Store | None = None, experiment: str | None = None, name: str | None = None,
            recorded: Mapping[str, Any] | None = None, callbacks: Sequence[Callable[[Progress], None]] = (),
            resume: int | None = None, started: float | None = None) -> AutoMLResult:
        """Search, refit the best config, build the ensemble; record it all in ``store``.

        ``started`` (a ``time.perf_counter()`` value, default now) is when the time budget
        began, so that what the face did before (loading data) counts against it.
        ``recorded`` are the study's settings as the store keeps them; ``resume`` the id
        of a killed study of ``store`` to continue.
        """
        from cairn.execute import make_executor

        s = self.settings
        started = time.perf_counter() if started is None else started
        deadline = None if s.time_budget is None else started + s.time_budget
        search_budget = None if deadline is None else deadline - time.perf_counter()
        if search_budget is not None and search_budget <= 0:
            raise UserError(f"the time budget of {s.time_budget:g} s was used up before the search could start")
        executor = make_executor(s.executor or ("serial" if s.workers == 1 else "processes"), s.workers,
                                 s.scheduler, s.memory_limit)
        keep_best = _KeepBestPredictions()
        study = Study(self.optimizer, self.objective, store=store, experiment=experiment or self.train.name,
                      name=name or f"{self.train.name}-{s.strategy}-seed{s.seed}", n_trials=s.trial_count,
                      time_budget=search_budget, trial_time_limit=s.trial_time_limit, settings=recorded,
                      callbacks=[keep_best, *callbacks], reserve=self._reserve, keep=self._keep, executor=executor,
                      resume=resume)
        result = study.optimize()
        best = result.best
        if best is None:
            errors = sorted({t.result.error for t in result.trials if t.result and t.result.error})
            raise UserError(f"every trial failed, so there is no model; first error: {errors[0] if errors else 'none'}")
        best_model, lineage = self.objective.refit_traced(best.config)
        out = AutoMLResult(result, self.objective, best, best_model, lineage)
        self._add_ensemble(out, deadline)
        if store is not None and result.run_id is not None:
            _record_ensemble(store, result.run_id, out)
        return out

    def _reserve(self, result: StudyResult) -> float:
        """Time to keep at the end of the budget for the work after the search: the
        refits of the best config and of the ensemble's likely members, and selection
        among :data:`RESERVED_CANDIDATES` trials (see :meth:`_candidates`); for the
        ensemble at least :data:`ENSEMBLE_SHARE` of a time budget, up to :data:`ENSEMBLE_FLOOR`."""
        ok = _successful(result.trials)
        if not ok or not self.settings.ensemble_size:
            return self._keep(result)
        candidates = min(len(ok), RESERVED_CANDIDATES)
        ensemble = self._members_time(ok) + self.settings.ensemble_size * candidates * self._score_time(ok)
        if self.settings.time_budget is not None:
            ensemble = max(ensemble, min(ENSEMBLE_FLOOR, ENSEMBLE_SHARE * self.settings.time_budget))
        return self._keep(result) + ensemble

    def _members_time(self, ok: Sequence[Trial]) -> float:
        """Seconds kept for refitting the ensemble's likely members other than the best
        (refitted already), at most :data:`MEMBERS_SHARE` of the time budget."""
        members = _refit_time(ok[1:EXPECTED_MEMBERS])
        return members if self.settings.time_budget is None else \
            min(members, MEMBERS_SHARE * self.settings.time_budget)

    def _keep(self, result: StudyResult) -> float:
        """The part of the reserve that running trials must leave too: the refit of the
        best config, without which the search has no model. The ensemble is optional,
        and builds from what it can afford (see :meth:`_add_ensemble`)."""
        return FINISH_RESERVE + _refit_time(_successful(result.trials)[:1])

    def _score_time(self, ok: Sequence[Trial]) -> float:
        """Seconds one score of blended predictions takes, as each round of selection
        computes one per candidate: measured once, on the first trial's predictions
        (it depends only on the rows and the metric); 0 before any trial kept them."""
        from cairn.automl.ensemble import loss_time

        if self._scoring is None:
            kept = next((t.result.predictions for t in ok if t.result.predictions is not None), None)  # type: ignore[union-attr]
            if kept is None:
                return 0.0
            self._scoring = loss_time(kept, self.objective.dataset.y.to_numpy(), self.objective.metric)
        return self._scoring

    def _candidates(self, trials: Sequence[Trial], deadline: float | None) -> int:
        """How many of the best trials selection chooses from: ``N_BEST``, or under a time
        budget as many as the time left allows after the members' refits (at least 2),
        since selection's time grows with their number."""
        from cairn.automl.ensemble import N_BEST

        ok = _successful(trials)
        per_candidate = self.settings.ensemble_size * self._score_time(ok)
        if deadline is None or per_candidate == 0:
            return N_BEST
        left = deadline - time.perf_counter() - FINISH_RESERVE - self._members_time(ok)
        return int(min(N_BEST, max(2, left // per_candidate)))

    def _add_ensemble(self, out: AutoMLResult, deadline: float | None) -> None:
        """Build the ensemble from the trials' out-of-fold predictions and keep it when it
        scores better on them than the best trial alone.

        Strictly better, both scored on predictions pooled over the same rows: on a tie
        the single pipeline stays, as it is smaller and faster to predict with.
        """
        from cairn.automl.ensemble import build_ensemble

        size = self.settings.ensemble_size
        if size == 0:
            out.ensemble_info = {"kept": False, "reason": "ensemble_size is 0"}
            return
        if deadline is not None and time.perf_counter() >= deadline:
            out.ensemble_info = {"kept": False, "reason": "the time budget ran out before the ensemble"}
            return
        start = time.perf_counter()
        n_best = self._candidates(out.study.trials, deadline)
        affordable = None if deadline is None else _refits_before(deadline)  # members must end in the budget
        trials = [t for t in out.study.trials if affordable is None or t.id == out.best.id or affordable([t])]
        ensemble, info = build_ensemble(self.objective, trials, size, self.settings.seed, n_best,
                                        refitted={out.best.id: out.best_model}, affordable=affordable)
        info = dict(info, fit_time=time.perf_counter() - start, kept=False)
        if ensemble is not None:
            if info["best_trial_id"] != out.best.id:
                info["reason"] = (f"the best trial ({out.best.id}) has no out-of-fold predictions (it was "
                                  "replayed from the store), so the ensemble cannot be compared with it")
            else:  # build_ensemble returns a model only when it beats the best trial out of fold
                out.ensemble, info["kept"] = ensemble, True
                info["lineage"] = self._ensemble_item(out.study.trials, info)
        out.ensemble_info = info

    def _ensemble_item(self, trials: Sequence[Trial], info: Mapping[str, Any]) -> Item:
        """The lineage of the ensemble ``build_ensemble`` fitted: each member's pipeline
        refitted on the objective's data (the items :meth:`CashObjective.refit` computes)
        and the weights it was given."""
        from cairn.evaluate import traced

        configs = {t.id: t.config for t in trials}
        members = [traced.final_item(traced.stages(self.objective.pipeline(configs[i])), self.objective.source)
                   for i in info["trial_ids"]]
        prior = decision_prior(self.objective.metric.name, self.objective.dataset.y.to_numpy())
        literal = canonical({"task": self.train.task, "weights": [float(w) for w in info["weights"]],
                             "prior": None if prior is None else [float(p) for p in prior]})
        return Item(ENSEMBLE_OP, members, literal)


@operation(ENSEMBLE_OP)
def _ensemble(item: Item, inputs: list[Any]) -> Any:
    """Recompute an ensemble from its members' pipelines; classes from the first member,
    as every member was fitted on the same rows."""
    from cairn.automl.ensemble import EnsembleModel

    literal = json.loads(item.literal or "{}")
    classes = inputs[0].classes_ if literal["task"] == "classification" else None
    return EnsembleModel(inputs, literal["weights"], classes, literal.get("prior"))


class _KeepBestPredictions:
    """A study callback that keeps out-of-fold predictions only for the trials ensemble
    selection may use (the ``N_BEST`` lowest losses so far, one per distinct set of
    predictions), so a long search holds a bounded number of prediction arrays; the ones
    it drops could never be chosen. Of trials with the same predictions (and so the same
    loss) the one with the lowest id keeps them, as it is the one the search ranks first,
    whichever worker finished first."""

    def __init__(self) -> None:
        from cairn.automl.ensemble import N_BEST

        self.n_best = N_BEST
        # worst first: (-loss, -id, predictions' digest, trial); ids are unique, so the
        # comparison never reaches the digest or the trial
        self._heap: list[tuple[float, int, bytes, Trial]] = []
        self._by_key: dict[bytes, Trial] = {}  # a kept trial by its predictions' digest

    def __call__(self, progress: Progress) -> None:
        from cairn.automl.ensemble import prediction_key

        trial = progress.last
        if trial.result is None or trial.result.predictions is None:
            return
        key = prediction_key(trial.result.predictions)
        twin = self._by_key.get(key)
        if twin is not None:
            if twin.id < trial.id:
                trial.result.predictions = None
                return
            self._heap.remove((-twin.loss, -twin.id, key, twin))
            heapq.heapify(self._heap)
            twin.result.predictions = None  # type: ignore[union-attr]
        self._by_key[key] = trial
        entry = (-trial.loss, -trial.id, key, trial)
        dropped = heapq.heappushpop(self._heap, entry) if len(self._heap) >= self.n_best else \
            heapq.heappush(self._heap, entry)
        if dropped is not None:
            del self._by_key[dropped[2]]
            dropped[3].result.predictions = None  # type: ignore[union-attr]


def _record_ensemble(store: Store, run_id: str, out: AutoMLResult) -> None:
    """The ensemble's out-of-fold score, its members and which model was kept, on the study's run."""
    row = out.ensemble_row()
    if row is None:
        return
    name = out.metric.name
    store.log_metrics(run_id, {f"ensemble_oof_{name}": row["score"],
                               f"best_oof_{name}": out.ensemble_info["best_score"]})
    members = " ".join(f"{trial}:{weight:g}" for trial, weight in row["config"]["members"].items())
    store.set_tags(run_id, {"ensemble_members": members, "model": "ensemble" if row["kept"] else "best_trial"})


def _successful(trials: Sequence[Trial]) -> list[Trial]:
    """The successful trials, lowest loss first."""
    return sorted((t for t in trials if t.result is not None and t.result.ok), key=lambda t: (t.loss, t.id))


def _refit_time(trials: Sequence[Trial]) -> float:
    """Seconds to refit ``trials`` on all training rows: a fold trains on (k-1)/k of the
    rows, so twice a trial's per-fold fit time covers its refit."""
    return 2.0 * sum(t.result.metrics.get("fit_time", 0.0) for t in trials)  # type: ignore[union-attr]


def _refits_before(deadline: float) -> Callable[[Sequence[Trial]], bool]:
    """Whether refitting some trials, started now, ends before ``deadline`` with the finishing reserve to spare."""
    return lambda trials: time.perf_counter() + FINISH_RESERVE + _refit_time(trials) <= deadline


def _whole(value: Any, low: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and value >= low


def _positive(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value) and value > 0
