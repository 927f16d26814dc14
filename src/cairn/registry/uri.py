"""Names and URIs of registered things, checked once at the edge.

``models:/churn/3`` is version 3 of model ``churn``, ``models:/churn@champion`` the
version its alias points to, ``runs:/<run id>/<artifact path>`` an artifact of a run, and
a bare run id (or unique prefix) that run's ``model.joblib``. ``iris:2`` is version 2 of
dataset ``iris``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cairn.errors import RegistryError

MODEL_ARTIFACT = "model.joblib"
#: The run param or tag naming the dataset version a run trained on (``run_cash`` sets it).
DATASET_KEY = "dataset_version"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,255}")
_RUN_ID = re.compile(r"[0-9a-f]{1,32}")


@dataclass(frozen=True)
class ModelRef:
    """A registered model version, by number or by alias (exactly one is set)."""

    name: str
    version: int | None = None
    alias: str | None = None


@dataclass(frozen=True)
class RunRef:
    """An artifact of a run."""

    run_id: str
    path: str = MODEL_ARTIFACT


def check_name(name: str, kind: str) -> str:
    """A model, dataset or alias name: letters, digits, ``_ . -``, starting with a letter or digit."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise RegistryError(f"{kind} name {name!r} is not valid; use letters, digits, '_', '.' and '-'")
    return name


def safe_name(text: str) -> str:
    """``text`` made a valid name (other characters become ``_``), for names cairn derives."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text).lstrip("_.-")[:256] or "data"


def check_alias(alias: str) -> str:
    """An alias is a name that is not a number, so ``name/3`` and ``name@x`` never mix."""
    check_name(alias, "alias")
    if alias.isdigit():
        raise RegistryError(f"alias {alias!r} is a number; an alias needs at least one letter")
    return alias


def parse_model_uri(uri: str) -> ModelRef | RunRef:
    """A ``models:/`` or ``runs:/`` URI, or a bare run id, as a reference."""
    text = uri.strip() if isinstance(uri, str) else ""
    if text.startswith("models:/"):
        body = text[len("models:/"):]
        if "@" in body:
            name, alias = body.split("@", 1)
            return ModelRef(check_name(name, "model"), alias=check_alias(alias))
        name, _, version = body.partition("/")
        if version.isdigit() and int(version) > 0:
            return ModelRef(check_name(name, "model"), version=int(version))
    elif text.startswith("runs:/"):
        run_id, _, path = text[len("runs:/"):].partition("/")
        if _RUN_ID.fullmatch(run_id) and path:
            return RunRef(run_id, path)
    elif _RUN_ID.fullmatch(text):
        return RunRef(text)
    raise RegistryError(f"{uri!r} is not a model URI; use models:/NAME/VERSION, models:/NAME@ALIAS "
                        "or runs:/RUN_ID/PATH")


def parse_dataset_ref(ref: str) -> tuple[str, int]:
    """``name:version`` as (name, version)."""
    name, _, version = ref.rpartition(":") if isinstance(ref, str) else ("", "", "")
    if not version.isdigit() or int(version) < 1:
        raise RegistryError(f"{ref!r} is not a dataset version; write it as NAME:VERSION, e.g. iris:2")
    return check_name(name, "dataset"), int(version)


def dataset_ref(name: str, version: int) -> str:
    """The inverse of :func:`parse_dataset_ref`."""
    return f"{name}:{version}"
