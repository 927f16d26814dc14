"""Model registry storage: cairn's lossless deltas against full copies of every version.

Each series is a line of ten model versions, each derived from the one before (the MLPs
after 30 pre-training epochs); every version is saved by a run and registered as the
next version of one model. *Full copies* are each version pickled (protocol 5, as joblib
writes it) and compressed with the codec of cairn's blobs (zlib level 6); the
uncompressed pickles are shown too. *cairn* is the bytes of the registry's blobs: the
first version whole, each later one a delta against its parent (each array raw or XORed
with the parent's, byte-shuffled or not, whichever compresses smaller). Loading replays
the chain, so the time to load the last version is shown, and every version is checked
to come back bit for bit (same pickled skeleton, same array values, same predictions).
The second table splits the first series' bytes by the arrays they belong to.

    python bench/registry.py           # writes bench/results/registry.md
    python bench/registry.py --quick   # smaller models, printed only
"""

from __future__ import annotations

import argparse
import pickle
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np

import cairn
from cairn.registry import delta
from cairn.track import Store

RESULTS = Path(__file__).parent / "results" / "registry.md"


def _digits(dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(dtype), y


def mlp_series(n_versions: int = 10, hidden: int = 64, lr: float = 1e-3, dtype: str = "float64",
               pretrain: int = 30, seed: int = 0) -> list[Any]:
    """An MLP on digits pre-trained for ``pretrain`` epochs, then fine-tuned one warm-started
    ``partial_fit`` epoch (Adam, learning rate ``lr``) per version."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = _digits(dtype)
    model = MLPClassifier(hidden_layer_sizes=(hidden,), random_state=seed)
    versions = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(pretrain):
            model.partial_fit(X, y, classes=np.unique(y))
        model.set_params(learning_rate_init=lr)
        model._optimizer.learning_rate_init = lr  # partial_fit keeps the optimiser it made first
        for k in range(n_versions):
            if k:
                model.partial_fit(X, y)
            versions.append(pickle.loads(pickle.dumps(model)))
    return versions


def forest_series(n_versions: int = 10, step: int = 10, seed: int = 0) -> list[Any]:
    """A random forest on digits grown by ``step`` trees per version (``warm_start``)."""
    from sklearn.ensemble import RandomForestClassifier

    X, y = _digits()
    model = RandomForestClassifier(n_estimators=step, warm_start=True, random_state=seed)
    versions = []
    for k in range(n_versions):
        model.set_params(n_estimators=step * (k + 1))
        versions.append(pickle.loads(pickle.dumps(model.fit(X, y))))
    return versions


def _content(a: np.ndarray) -> bytes:
    """An array's bytes without the padding inside records: sklearn tree nodes carry
    uninitialised padding that even two ``joblib.load`` calls of one file disagree on."""
    return b"".join(a[f].tobytes() for f in a.dtype.names) if a.dtype.names else a.tobytes()


def identical(a: Any, b: Any, X: np.ndarray) -> bool:
    """Same pickled skeleton, same array contents, dtypes and shapes, same predictions."""
    pa, pb = delta.split(a), delta.split(b)
    same_arrays = len(pa.arrays) == len(pb.arrays) and all(
        x.dtype == y.dtype and x.shape == y.shape and _content(x) == _content(y) for x, y in zip(pa.arrays, pb.arrays, strict=True))
    return pa.skeleton == pb.skeleton and same_arrays and a.predict_proba(X).tobytes() == b.predict_proba(X).tobytes()


def measure(versions: list[Any], X: np.ndarray) -> dict[str, Any]:
    """Register ``versions`` as one model in a fresh store; sizes, load time, identity."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/cairn.db")
        registered = []  # what the registry is given: the saved file, read back
        for model in versions:
            run = store.create_run("bench")
            joblib.dump(model, Path(tmp) / "model.joblib")
            store.log_artifact(run, Path(tmp) / "model.joblib")
            registered.append(joblib.load(Path(tmp) / "model.joblib"))
            cairn.register_model(run, "m", store=store)
        stored = sum(v["size"] for v in cairn.describe_model("m", store=store)["versions"])
        start = time.perf_counter()
        last = cairn.load_model(f"models:/m/{len(versions)}", store=store)
        load_s = time.perf_counter() - start
        ok = identical(last, registered[-1], X) and all(
            identical(cairn.load_model(f"models:/m/{k + 1}", store=store), v, X) for k, v in enumerate(registered))
        store.close()
    pickles = [pickle.dumps(v, protocol=5) for v in versions]
    full = sum(len(zlib.compress(p, 6)) for p in pickles)
    return {"versions": len(versions), "pickle": sum(map(len, pickles)), "full": full, "cairn": stored,
            "ratio": stored / full, "load_ms": 1000 * load_s, "identical": ok}


MLP_PARTS: dict[str, Callable[[Any], list[np.ndarray]]] = {
    "weights (coefs_, intercepts_)": lambda m: m.coefs_ + m.intercepts_,
    "Adam first moments": lambda m: m._optimizer.ms,
    "Adam second moments": lambda m: m._optimizer.vs,
    "best weights so far (_best_coefs, ...)": lambda m: m._best_coefs + m._best_intercepts,
}


def mlp_breakdown(versions: list[Any]) -> str:
    """Where an MLP's delta bytes go: each group of arrays, versions 2 on, encoded whole
    and as a delta against the version before (cairn's encoding, zlib 6)."""
    def stored(arrays: list[np.ndarray], base: list[np.ndarray] | None) -> int:
        return len(zlib.compress(delta.encode(delta.Parts(b"", arrays), base)[0], 6))

    lines = ["| arrays | whole | as deltas | deltas / whole |", "|---|---|---|---|"]
    for label, get in MLP_PARTS.items():
        whole = sum(stored(get(v), None) for v in versions[1:])
        deltas = sum(stored(get(v), get(p)) for p, v in zip(versions[:-1], versions[1:], strict=True))
        lines.append(f"| {label} | {whole:,} | {deltas:,} | {deltas / whole:.3f} |")
    return "\n".join(lines) + "\n"


def series(quick: bool) -> list[tuple[str, Callable[[], list[Any]], str]]:
    hidden, trees = (32, 5) if quick else (64, 10)
    return [
        (f"MLP ({hidden} hidden) on digits, 1 Adam epoch per version, lr 1e-3",
         lambda: mlp_series(hidden=hidden), "float64"),
        (f"MLP ({hidden} hidden), fine-tuning at lr 1e-5", lambda: mlp_series(hidden=hidden, lr=1e-5), "float64"),
        (f"MLP ({hidden} hidden), float32 weights, lr 1e-5",
         lambda: mlp_series(hidden=hidden, lr=1e-5, dtype="float32"), "float32"),
        (f"random forest on digits, +{trees} trees per version (warm start)",
         lambda: forest_series(step=trees), "float64"),
    ]


def table(quick: bool) -> str:
    lines = [
        "| series | versions | pickles | full copies (pickle + zlib 6) | cairn | cairn / full | "
        "load last (ms) | bit-identical |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label, make, dtype in series(quick):
        r = measure(make(), _digits(dtype)[0])
        lines.append(f"| {label} | {r['versions']} | {r['pickle']:,} | {r['full']:,} | {r['cairn']:,} | "
                     f"{r['ratio']:.3f} | {r['load_ms']:.0f} | {'yes' if r['identical'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller models; print, do not write results")
    args = parser.parse_args(argv)
    body = table(args.quick) + "\nWhere the bytes of the first MLP series go (versions 2 to 10):\n\n" \
        + mlp_breakdown(mlp_series(hidden=32 if args.quick else 64))
    print(body)
    if not args.quick:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text("# Model registry: delta storage against full copies\n\n`python bench/registry.py`\n\n"
                           + __doc__.split("\n\n")[1].replace("\n", " ") + "\n\n" + body)


if __name__ == "__main__":
    sys.exit(main())
