"""The registry on PostgreSQL: the same calls, the other dialect."""

import pandas as pd
from sklearn.linear_model import LogisticRegression

import cairn
from cairn.track import Store


def test_registry_on_postgresql(postgres_url, tmp_path, save_model) -> None:
    st = Store(postgres_url, artifact_root=tmp_path / "artifacts")
    try:
        frame = pd.DataFrame({"a": range(20), "b": [0.5] * 20})
        assert cairn.register_dataset("d", frame, store=st) == 1
        assert cairn.register_dataset("d", frame.iloc[2:], store=st) == 2
        pd.testing.assert_frame_equal(cairn.get_dataset("d", 2, store=st), frame.iloc[2:].reset_index(drop=True))
        assert cairn.dataset_diff("d", 2, 1, store=st)[0]["a"].tolist() == [0, 1]
        models = [LogisticRegression(C=c).fit(frame[["a"]], frame["a"] % 2) for c in (1.0, 0.5)]
        for m in models:
            cairn.register_model(save_model(st, m), "m", "d:2", store=st)
        cairn.set_alias("m", "champion", 1, store=st)
        st.gc()
        got = cairn.load_model("models:/m@champion", store=st)
        assert got.predict_proba(frame[["a"]]).tobytes() == models[0].predict_proba(frame[["a"]]).tobytes()
        assert cairn.list_models(store=st)[0]["aliases"] == {"champion": 1}
        assert cairn.list_datasets(store=st) == [{"name": "d", "versions": 2, "latest": 2, "n_rows": 18}]
    finally:
        st.close()
