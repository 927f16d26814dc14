import json
import math
import pickle

import numpy as np
import pytest

from cairn.errors import ConfigError, SpaceError
from cairn.space import Categorical, Config, Constant, Float, Int, Space


@pytest.fixture
def cash_like() -> Space:
    svm = Space(
        [Float("C", 1e-3, 1e3, log=True), Categorical("kernel", ["rbf", "poly"]), Int("degree", 2, 5)],
        {"degree": {"kernel": ["poly"]}},
    )
    knn = Space([Int("k", 1, 50, log=True)])
    return Space.nested("learner", {"svm": svm, "knn": knn, "nb": None}) + Space(
        [Categorical("scaler", ["standard", "none"]), Constant("n_jobs", 1)]
    )


def test_nested_choice_names_and_conditions(cash_like: Space) -> None:
    assert cash_like.names[0] == "learner"
    assert cash_like.conditions["svm.C"] == {"learner": ["svm"]}
    assert cash_like.conditions["svm.degree"] == {"svm.kernel": ["poly"]}
    assert cash_like.conditions["knn.k"] == {"learner": ["knn"]}


def test_samples_only_active_params_and_validate(cash_like: Space) -> None:
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        c = cash_like.sample(rng)
        assert cash_like.validate(c) == c
        seen.add(c["learner"])
        if c["learner"] != "svm":
            assert not any(k.startswith("svm.") for k in c)
        if c.get("svm.kernel") != "poly":
            assert "svm.degree" not in c
    assert seen == {"svm", "knn", "nb"}


def test_sampling_is_seeded(cash_like: Space) -> None:
    a = [cash_like.sample(np.random.default_rng(3)) for _ in range(3)]
    b = [cash_like.sample(np.random.default_rng(3)) for _ in range(3)]
    assert a == b
    assert cash_like.sample(np.random.default_rng(4)) != a[0] or cash_like.sample(np.random.default_rng(5)) != a[0]


def test_log_sampling_is_uniform_in_log_space() -> None:
    p = Float("lr", 1e-4, 1.0, log=True)
    rng = np.random.default_rng(0)
    xs = np.log10([p.sample(rng) for _ in range(4000)])
    counts, _ = np.histogram(xs, bins=4, range=(-4, 0))
    assert counts.min() > 0.8 * counts.max()


def test_int_values_get_equal_mass() -> None:
    p = Int("k", 1, 4)
    rng = np.random.default_rng(1)
    counts = np.bincount([p.sample(rng) for _ in range(4000)], minlength=5)[1:]
    assert counts.min() > 0.85 * counts.max()


def test_grid_honours_conditions_without_duplicates(cash_like: Space) -> None:
    grid = cash_like.grid(3)
    assert len(grid) == len(set(grid))
    # svm: C(3) x [rbf + poly x degree{2,4,5}->3 values] ; knn: k(3) ; nb: 1 ; x scaler 2 x const 1
    svm_configs = 3 * (1 + 3)
    assert len(grid) == (svm_configs + 3 + 1) * 2
    assert all(cash_like.validate(c) == c for c in grid)


def test_grid_discretisation_equi_width_and_exponential() -> None:
    assert Float("a", 0, 1).grid(5) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.allclose(Float("c", 1e-3, 10, log=True).grid(5), [1e-3, 1e-2, 1e-1, 1, 10])
    assert Int("n", 1, 1000, log=True).grid(4) == [1, 10, 100, 1000]


def test_encode_decode_round_trip(cash_like: Space) -> None:
    rng = np.random.default_rng(2)
    for _ in range(200):
        c = cash_like.sample(rng)
        x = cash_like.encode(c)
        assert x.shape == (cash_like.n_dims,)
        assert np.all((x >= 0) & (x <= 1))
        d = cash_like.decode(x)
        assert d.keys() == c.keys()
        for k, v in c.items():
            if isinstance(v, float):
                assert math.isclose(d[k], v, rel_tol=1e-9)
            else:
                assert d[k] == v


def test_encode_marks_inactive_dims(cash_like: Space) -> None:
    x = cash_like.encode({"learner": "nb", "scaler": "none", "n_jobs": 1})
    # learner one-hot (3) then svm.C (1), svm.kernel one-hot (2), svm.degree (1), knn.k (1)
    assert list(x[:3]) == [0, 0, 1]
    assert x[3] == 0.5 and list(x[4:6]) == [0, 0]


def test_neighbours_stay_close_and_always_move(cash_like: Space) -> None:
    rng = np.random.default_rng(0)
    base = cash_like.validate({"learner": "svm", "svm.C": 1.0, "svm.kernel": "rbf", "scaler": "none", "n_jobs": 1})
    for _ in range(200):
        n = cash_like.neighbour(base, rng, eps=0.05)
        assert n != base
        assert cash_like.validate(n) == n
        if n["learner"] == "svm":
            u0, u1 = cash_like["svm.C"].to_unit(1.0), cash_like["svm.C"].to_unit(n["svm.C"])
            assert abs(u0 - u1) <= 0.05 + 1e-12


def test_config_hashable_readonly_json_pickle() -> None:
    c = Config({"a": 1, "b": "x"})
    assert hash(c) == hash(Config({"b": "x", "a": 1}))
    with pytest.raises(TypeError):
        c["a"] = 2
    assert json.loads(json.dumps(c)) == {"a": 1, "b": "x"}
    assert pickle.loads(pickle.dumps(c)) == c


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Float("a", 1, 0), "'a': low (1.0) must be below high"),
        (lambda: Float("a", 0, 1, log=True), "'a': a log scale needs low > 0"),
        (lambda: Int("n", 0, 5, log=True), "'n': a log scale needs low > 0"),
        (lambda: Categorical("c", []), "'c': a categorical needs at least one choice"),
        (lambda: Space([Float("a", 0, 1)], {"a": {"b": [1]}}), "'a' has a condition on 'b', which is not a parameter"),
        (
            lambda: Space([Categorical("a", [1, 2]), Categorical("b", [1, 2])], {"a": {"b": [1]}, "b": {"a": [1]}}),
            "cycle",
        ),
        (lambda: Space([Float("a", 0, 1), Float("a", 0, 2)]), "'a' is defined twice"),
        (lambda: Space([Categorical("a", ["x"]), Float("b", 0, 1)], {"b": {"a": ["y"]}}), "'b': condition value"),
    ],
)
def test_bad_spaces_name_the_parameter(make, fragment: str) -> None:
    with pytest.raises(SpaceError, match=None) as info:
        make()
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"learner": "nb", "scaler": "none", "n_jobs": 1, "zzz": 1}, "'zzz' is not a parameter"),
        ({"learner": "knn", "knn.k": 100, "scaler": "none", "n_jobs": 1}, "'knn.k': 100 is outside [1, 50]"),
        ({"learner": "knn", "scaler": "none", "n_jobs": 1}, "'knn.k' is active but has no value"),
        ({"learner": "nb", "knn.k": 3, "scaler": "none", "n_jobs": 1}, "'knn.k' is inactive"),
        ({"learner": "tree", "scaler": "none", "n_jobs": 1}, "'tree' is not one of"),
        ({"learner": "knn", "knn.k": 2.5, "scaler": "none", "n_jobs": 1}, "expected an integer"),
    ],
)
def test_bad_configs_name_the_parameter(cash_like: Space, config, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        cash_like.validate(config)
    assert fragment in str(info.value)


def test_yaml_and_json_files(tmp_path, cash_like: Space) -> None:
    path = tmp_path / "space.json"
    path.write_text(cash_like.to_json())
    assert Space.from_file(path) == cash_like
    yml = tmp_path / "space.yaml"
    yml.write_text(
        "params:\n"
        "  learner: {type: categorical, choices: [svm, knn]}\n"
        "  svm.C: {type: float, low: 0.01, high: 100, log: true, when: {learner: [svm]}}\n"
        "  knn.k: {type: int, low: 1, high: 30, when: {learner: [knn]}}\n"
    )
    s = Space.from_file(yml)
    assert s.conditions == {"svm.C": {"learner": ["svm"]}, "knn.k": {"learner": ["knn"]}}
    assert s["svm.C"].log


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("params: {a: {type: float, low: 1}}", "'a': type float needs 'high'"),
        ("params: {a: {type: banana}}", "'a': unknown type 'banana'"),
        ("params: {a: {type: int, low: 0, high: 3, step: 2}}", "unknown field(s) step"),
        ("nothing: 1", "top-level 'params'"),
        ("params: {a: [1, 2", "cannot be parsed"),
    ],
)
def test_bad_space_files(tmp_path, text: str, fragment: str) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(SpaceError) as info:
        Space.from_file(path)
    assert fragment in str(info.value)
