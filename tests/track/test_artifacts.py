import os
from pathlib import Path

import pytest

import cairn
from cairn.errors import ArtifactError, StoreError
from cairn.track import Store


def _blobs(store: Store) -> set[str]:
    return store.blobs.digests()


def test_artifacts_are_content_addressed(store: Store, tmp_path) -> None:
    a, b = tmp_path / "a.bin", tmp_path / "b.bin"
    a.write_bytes(b"same bytes")
    b.write_bytes(b"same bytes")
    r1, r2 = store.create_run("e"), store.create_run("e")
    [d1], [d2] = store.log_artifact(r1, a, "model.joblib"), store.log_artifact(r2, b)
    assert d1["digest"] == d2["digest"] and d2["path"] == "b.bin" and d1["size"] == 10
    assert store.artifact_path(r1, "model.joblib") == store.artifact_path(r2, "b.bin")
    assert store.artifact_path(r1, "model.joblib").read_bytes() == b"same bytes"
    assert len(_blobs(store)) == 1
    with pytest.raises(ArtifactError):
        store.artifact_path(r1, "nope")


def _tree(root: Path) -> Path:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "top.txt").write_text("top")
    (root / "sub" / "a.txt").write_text("a")
    (root / "sub" / "deep" / "b.txt").write_text("b")
    return root


def test_a_directory_keeps_its_paths_and_comes_back(store: Store, tmp_path) -> None:
    src = _tree(tmp_path / "outputs")
    run = store.start_run("e")
    run.log_artifact(src, artifact_path="results")
    listed = cairn.list_artifacts(run.id, store=store)
    assert [a["path"] for a in listed] == ["results/outputs/sub/a.txt", "results/outputs/sub/deep/b.txt",
                                           "results/outputs/top.txt"]
    assert [a["path"] for a in cairn.list_artifacts(run.id[:10], "results/outputs/sub", store=store)] == [
        "results/outputs/sub/a.txt", "results/outputs/sub/deep/b.txt"]
    got = cairn.download_artifacts(run.id, "results/outputs/sub", tmp_path / "dst", store=store)
    assert got == (tmp_path / "dst" / "results/outputs/sub").resolve()
    assert (got / "deep" / "b.txt").read_text() == "b" and not (tmp_path / "dst/results/outputs/top.txt").exists()
    everything = cairn.download_artifacts(run.id, None, tmp_path / "all", store=store)
    assert sorted(p.relative_to(everything).as_posix() for p in everything.rglob("*.txt")) == [
        "results/outputs/sub/a.txt", "results/outputs/sub/deep/b.txt", "results/outputs/top.txt"]
    with pytest.raises(ArtifactError, match="no artifact"):
        cairn.download_artifacts(run.id, "results/nothing", tmp_path / "x", store=store)


@pytest.mark.parametrize("bad", [
    "/etc/passwd", "../escape.txt", "a/../../escape.txt", "%2e%2e/escape.txt", "a/%2E%2E/%2e%2e/x",
    "%252e%252e/x", "..\\escape.txt", "C:\\escape.txt", "a\x00b", "%00", "a//b", "./a",
])
def test_artifact_paths_cannot_escape(store: Store, tmp_path, bad: str) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    run = store.create_run("e")
    with pytest.raises(ArtifactError):
        store.log_artifact(run, src, bad)
    with pytest.raises(ArtifactError):
        store.download_artifacts(run, bad, tmp_path / "dst")
    assert store.artifacts(run) == [] and _blobs(store) == set()
    assert not list((store.artifact_root / "tmp").glob("*")) if (store.artifact_root / "tmp").exists() else True


def test_links_out_of_a_logged_directory_are_refused(store: Store, tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    src = _tree(tmp_path / "outputs")
    os.symlink(src / "top.txt", src / "sub" / "inside-link.txt")
    run = store.create_run("e")
    store.log_artifact(run, src)
    assert store.artifact_path(run, "outputs/sub/inside-link.txt").read_text() == "top"
    os.symlink(secret, src / "leak.txt")
    other = store.create_run("e")
    with pytest.raises(ArtifactError, match="links outside"):
        store.log_artifact(other, src)
    assert store.artifacts(other) == []


def test_downloads_do_not_follow_links_out_of_the_destination(store: Store, tmp_path) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    run = store.create_run("e")
    store.log_artifact(run, src, "sub/f.txt")
    dst, elsewhere = tmp_path / "dst", tmp_path / "elsewhere"
    dst.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, dst / "sub")
    with pytest.raises(ArtifactError, match="outside"):
        store.download_artifacts(run, "sub", dst)
    assert not (elsewhere / "f.txt").exists()


def test_a_blob_linked_out_of_the_store_is_not_read(store: Store, tmp_path) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    run = store.create_run("e")
    [art] = store.log_artifact(run, src)
    blob = store.blobs.root / art["digest"][:2] / art["digest"]
    blob.unlink()
    (tmp_path / "outside").write_text("y")
    os.symlink(tmp_path / "outside", blob)
    with pytest.raises(ArtifactError, match="outside the store"):
        store.download_artifacts(run, "f.txt", tmp_path / "dst")


def _files(tmp_path: Path, **contents: str) -> dict[str, Path]:
    out = {}
    for name, text in contents.items():
        out[name] = tmp_path / f"{name}.txt"
        out[name].write_text(text)
    return out


def test_deleting_runs_reclaims_exactly_the_unreferenced_blobs(store: Store, tmp_path) -> None:
    f = _files(tmp_path, only_a="A", shared="S", only_b="B", child="C")
    a, b = store.start_run("e", "a"), store.start_run("e", "b")
    child = store.start_run("e", "child", parent=a.id)
    for run, names in ((a, ["only_a", "shared"]), (b, ["shared", "only_b"]), (child, ["child"])):
        for n in names:
            run.log_artifact(f[n])
        run.log_metric("m", 1.0)
        run.end()
    digest = {n: store.artifacts(r.id, f"{n}.txt")[0]["digest"] for r, n in
              ((a, "only_a"), (a, "shared"), (b, "only_b"), (child, "child"))}
    assert len(_blobs(store)) == 4
    with pytest.raises(StoreError, match="no run matches"):
        cairn.delete_runs([a.id, "nosuchrun"], store=store)
    assert store.count_runs() == 3 and len(_blobs(store)) == 4  # nothing happened
    out = cairn.delete_runs([a.id[:12]], store=store)
    assert out == {"runs": 2, "blobs": 2, "bytes": 2}  # a and its child; only_a and child
    assert _blobs(store) == {digest["shared"], digest["only_b"]}
    assert [r["name"] for r in store.runs()] == ["b"]
    assert store.artifact_path(b.id, "shared.txt").read_text() == "S"
    assert store.search_runs("metrics.m = 1")[0]["name"] == "b"


def test_gc_removes_orphans_and_keeps_what_is_referenced(store: Store, tmp_path) -> None:
    f = _files(tmp_path, kept="K", lost="L")
    run = store.create_run("e")
    store.log_artifact(run, f["kept"])
    store.log_artifact(run, f["lost"], "x.txt")
    store.log_artifact(run, f["kept"], "x.txt")  # re-pointing x.txt orphans the "L" blob
    orphan = store.blobs.root / ("ab" * 32)[:2] / ("ab" * 32)
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"left behind by a crash")
    assert len(_blobs(store)) == 3
    assert cairn.gc(store=store) == {"blobs": 2, "bytes": 1 + len(b"left behind by a crash")}
    assert len(_blobs(store)) == 1 and store.artifact_path(run, "x.txt").read_text() == "K"
    assert cairn.gc(store=store) == {"blobs": 0, "bytes": 0}
    store.delete_runs([run])
    assert _blobs(store) == set()


def test_model_and_dataset(store: Store) -> None:
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    with cairn.start_run("e", store=store) as run:
        fp = run.log_dataset("toy", frame)
        assert run.log_dataset("toy-copy", frame.copy(), context="eval") == fp
        assert run.log_dataset("arr", np.arange(3), context="test") != fp
        run.log_model({"weights": [1, 2]})
    tags = store.run(run.id)["tags"]
    assert tags["dataset.train"] == "toy" and tags["dataset.train.fingerprint"] == fp
    assert tags["model.class"] == "builtins.dict"
    assert cairn.load_model(run.id, store=store) == {"weights": [1, 2]}
    with pytest.raises(StoreError, match="fingerprint"):
        run.log_dataset("what", object())
