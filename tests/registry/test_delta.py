import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import cairn
from cairn.registry import delta

X, Y = load_digits(return_X_y=True)
X = X[:400] / 16.0
Y = Y[:400]


def test_split_join_keeps_layout_sharing_and_odd_arrays() -> None:
    shared = np.ones(3)
    record = np.zeros(4, dtype=[("a", "i1"), ("b", "f8")])
    objs = [np.asfortranarray(np.arange(12.0).reshape(3, 4)), np.arange(10)[::2], record, np.array(["ab", "c"]),
            np.zeros((0, 3)), np.array([1, None], dtype=object), shared, shared, np.float32(2.5)]
    parts = delta.split(objs)
    assert len(parts.arrays) == 6  # object arrays and scalars stay in the skeleton; `shared` once
    for base in (None, parts.arrays):
        back = delta.join(delta.decode(delta.encode(parts, base)[0], base))
        assert back[6] is back[7] and back[0].flags.f_contiguous and back[0].flags.writeable
        assert all(pickle.dumps(a) == pickle.dumps(b) for a, b in zip(objs, back, strict=True))


def test_xor_is_used_only_where_it_helps() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=1000)
    near = a + 1e-9 * rng.normal(size=1000)
    payload, n = delta.encode(delta.Parts(b"", [near]), [a])
    assert n == 1
    assert len(delta.encode(delta.Parts(b"", [rng.normal(size=1000)]), [a.astype(np.float32)])[0]) > 8000
    assert delta.encode(delta.Parts(b"", [rng.integers(0, 255, 1000, dtype=np.uint8)]),
                        [np.zeros(1000, dtype=np.uint8)])[1] == 0  # XOR with zeros gains nothing
    np.testing.assert_array_equal(delta.decode(payload, [a]).arrays[0], near)


def _fit(kind: str, seed: int):
    rows = np.random.default_rng(seed).choice(len(X), 300, replace=False)
    model = {
        "linear": lambda: LogisticRegression(max_iter=300, C=1.0 + seed),
        "mlp": lambda: MLPClassifier((20,), max_iter=30, random_state=seed),
        "forest": lambda: RandomForestClassifier(n_estimators=5, random_state=seed),
        "pipeline": lambda: make_pipeline(StandardScaler(), PCA(10, random_state=seed),
                                          LogisticRegression(max_iter=300)),
    }[kind]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits do not converge, on purpose
        return model.fit(X[rows], Y[rows])


@pytest.mark.parametrize("kind", ["linear", "mlp", "forest", "pipeline"])
def test_versions_load_bit_identical(kind, store, save_model, bench) -> None:
    import joblib

    saved = []
    for seed in range(3):
        run = save_model(store, _fit(kind, seed))
        saved.append(joblib.load(store.artifact_path(run, "model.joblib")))
        assert cairn.register_model(run, kind, store=store) == seed + 1
    info = cairn.describe_model(kind, store=store)
    assert [v["base_version"] for v in info["versions"]][0] is None
    for version, model in enumerate(saved, start=1):
        loaded = cairn.load_model(f"models:/{kind}/{version}", store=store)
        assert bench.identical(loaded, model, X)
        assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()


def test_finetuning_deltas_beat_full_copies(bench) -> None:
    mlp = bench.measure(bench.mlp_series(n_versions=6, hidden=16, pretrain=5), X)
    forest = bench.measure(bench.forest_series(n_versions=5, step=3), X)
    assert mlp["identical"] and forest["identical"]
    # Lossless XOR deltas cannot shrink the freshly trained low mantissa bits of the MLP's
    # weights and Adam moments (see bench/results/registry.md); unchanged parts cost nothing.
    assert mlp["ratio"] <= 0.75
    assert forest["ratio"] <= 0.4


def test_chain_is_capped_by_snapshots(store, save_model) -> None:
    from cairn.registry.chain import SNAPSHOT_EVERY

    model = LogisticRegression(max_iter=300).fit(X, Y)
    run = save_model(store, model)
    for _ in range(SNAPSHOT_EVERY + 2):
        cairn.register_model(run, "m", store=store)
    depths = [v["depth"] for v in cairn.describe_model("m", store=store)["versions"]]
    assert depths == [*range(SNAPSHOT_EVERY), 0, 1]
    loaded = cairn.load_model(f"models:/m/{SNAPSHOT_EVERY + 2}", store=store)
    assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
