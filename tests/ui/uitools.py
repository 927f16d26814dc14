"""Helpers of the UI tests: a store with a finished CASH study (and a multi-fidelity, a
multi-objective and a training run beside it), and raw HTTP that sends paths exactly
as written.
"""

from __future__ import annotations

import http.client
import socket
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cairn.cash import run_cash
from cairn.optim import make_optimizer
from cairn.registry.datasets import register_dataset
from cairn.registry.models import register_model, set_alias
from cairn.space import Categorical, Float, Int, Space
from cairn.study import Study
from cairn.track import Store
from cairn.trial import Result

XSS_NAME = "<script>alert(1)</script>"
XSS_PARAM = "<img src=x onerror=alert(2)>"


@dataclass
class Populated:
    """A store and the ids the tests look for in it."""

    store: Store
    cash_study: int
    cash_run: str
    hyperband_study: int
    pareto_study: int
    training_run: str
    xss_run: str


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one colour, made by hand so no imaging library is needed."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _multi_fidelity(config: dict[str, Any], budget: float | None = None) -> float:
    return (config["x"] - 0.3) ** 2 + 0.1 / (budget or 1.0)


def _two_objectives(config: dict[str, Any], budget: float | None = None) -> Result:
    a, b = config["x"] ** 2, (config["x"] - 1) ** 2 + 0.1 * config["k"]
    return Result(loss=a + b, objectives=(a, b), metrics={"a": a, "b": b})


def populate(root: Path) -> Populated:
    """A store with a finished CASH study on iris and its registered model, a Hyperband
    study, a two-objective study, a training run with histories and artifacts, and a
    run whose name and params are HTML."""
    store = Store(f"sqlite:///{root / 'cairn.db'}")
    report = run_cash("iris", n_trials=6, seed=0, store=store, learners=["knn", "logreg", "tree"], cv=3,
                      ensemble_size=0)
    register_model(report.run_id, "iris-clf", store=store)
    register_model(report.run_id, "iris-clf", store=store)
    set_alias("iris-clf", "champion", 1, store=store)
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=40), "b": rng.integers(0, 5, size=40)})
    register_dataset("toy", frame, store=store)
    register_dataset("toy", pd.concat([frame, frame.head(5)], ignore_index=True), store=store)
    space = Space([Float("x", -1, 2), Int("k", 1, 8), Categorical("learner", ["a", "b"])])
    hyperband = Study(make_optimizer("hyperband", space, seed=0), _multi_fidelity, store=store,
                      experiment="synthetic", name="hyperband", n_trials=13).optimize()
    pareto = Study(make_optimizer("random", space, seed=0), _two_objectives, store=store,
                   experiment="synthetic", name="two-objectives", n_trials=12).optimize()
    files = root / "files"
    files.mkdir()
    (files / "notes.txt").write_text("hello from the training run\nsecond line\n")
    (files / "plot.png").write_bytes(png(24, 16, (200, 40, 40)))
    (files / "weights.bin").write_bytes(bytes(range(256)))
    with store.start_run("training", name="training", params={"lr": 0.01, "layers": 3}, tags={"stage": "dev"}) as run:
        for step in range(30):
            run.log_metrics({"loss": 1 / (step + 1), "accuracy": 1 - 0.5 / (step + 1)}, step=step)
        for name in ("notes.txt", "plot.png", "weights.bin"):
            run.log_artifact(files / name)
    with store.start_run("<img src=x onerror=alert(5)>", name=XSS_NAME, params={XSS_PARAM: "<svg onload=alert(3)>"},
                         tags={"note": "<b>bold</b><script>alert(4)</script>"}) as run:
        run.log_metric("score", 1.0)
    store.flush()
    return Populated(store, report.study_id, report.run_id, hyperband.study_id, pareto.study_id,  # type: ignore[arg-type]
                     _run_named(store, "training"), _run_named(store, XSS_NAME))


def _run_named(store: Store, name: str) -> str:
    return store.search_runs(f"run_name = '{name}'", max_results=1)[0]["id"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def request(base: str, path: str, method: str = "GET", headers: dict[str, str] | None = None,
            body: bytes | None = None, timeout: float = 30) -> Answer:
    """Send ``path`` byte for byte (no client-side normalisation of ``..`` or encodings)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        headers = headers or {}
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for key, value in headers.items():
            conn.putheader(key, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()
