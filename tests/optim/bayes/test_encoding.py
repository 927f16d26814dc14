import numpy as np

from cairn.optim.bayes.encoding import Encoding
from cairn.space import Int, Space


def test_canonical_equals_encode_of_decode(conditional_space):
    enc = Encoding(conditional_space)
    V = np.random.default_rng(0).random((300, enc.n_dims))
    U, M = enc.canonical(V)
    configs = [conditional_space.decode(v) for v in V]
    expected_U, expected_M = enc.encode(configs)
    np.testing.assert_allclose(U, expected_U, atol=1e-12)
    assert (M == expected_M).all()


def test_perturbed_and_sampled_points_are_canonical(conditional_space):
    enc = Encoding(conditional_space)
    rng = np.random.default_rng(1)
    U, M = enc.sample(rng, 200)
    N, NM = enc.perturb(U, M, rng, np.linspace(0.01, 1.0, 200))
    for points in (U, N):
        again = np.array([conditional_space.encode(conditional_space.decode(u)) for u in points])
        np.testing.assert_allclose(points, again, atol=1e-12)
    assert np.abs(N - U).max() > 0.1


def test_integers_snap_like_decode_for_small_and_huge_ranges():
    space = Space([Int("a", 1, 7), Int("b", 1, 1000, log=True), Int("c", 0, 10**7), Int("d", -3, 3)])
    V = np.random.default_rng(2).random((2000, 4))
    U, _ = Encoding(space).canonical(V)
    np.testing.assert_allclose(U, [space.encode(space.decode(v)) for v in V], atol=1e-12)
