"""Weak supervision: labeling functions, label models and heuristic generation.

Write heuristics as labeling functions (``lf``, ``heuristics``), apply them to get the
label matrix L (``apply``), read what each does (``analysis``), and let a label model
(``majority``, ``dawid_skene``, ``matrix_completion``) turn their votes into labels;
``select`` picks a label model with a Study on a few gold labels, ``endmodel`` trains
and records an end model on the labels, ``snuba`` writes heuristics from a small
labelled set, and ``synthetic`` makes label matrices with known accuracies.

Names load on first use, as in :mod:`cairn`, so importing ``cairn.weak`` stays cheap.
"""

from __future__ import annotations

from cairn.exports import lazy_exports

_EXPORTS = {
    "ABSTAIN": "cairn.weak.labels",
    "LabelingFunction": "cairn.weak.lf",
    "labeling_function": "cairn.weak.lf",
    "keyword_lf": "cairn.weak.heuristics",
    "regex_lf": "cairn.weak.heuristics",
    "threshold_lf": "cairn.weak.heuristics",
    "apply_lfs": "cairn.weak.apply",
    "LFError": "cairn.weak.apply",
    "lf_summary": "cairn.weak.analysis",
    "LabelModel": "cairn.weak.base",
    "MajorityVote": "cairn.weak.majority",
    "DawidSkene": "cairn.weak.dawid_skene",
    "MatrixCompletion": "cairn.weak.matrix_completion",
    "label_model_space": "cairn.weak.select",
    "select_label_model": "cairn.weak.select",
    "train_end_model": "cairn.weak.endmodel",
    "Snuba": "cairn.weak.snuba",
    "make_label_matrix": "cairn.weak.synthetic",
}


__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
