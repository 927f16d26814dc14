"""Data augmentation: vectorised image operations, their composition, policies, and
policy search as a cairn Study.

Every image operation takes a batch ``(N, H, W)`` or ``(N, H, W, C)`` of uint8 or float
values and a seed: ``op(images, seed=0)``. ``op.run(images, seed)`` also returns a
:class:`Record` of every parameter drawn, and ``op.replay(images, record)`` applies it
again. Tables have their own functions (``gaussian_noise``, ``mixup``, ``smote``).

Only re-exports live here, loaded on first use, so the image operations do not pay for
scikit-learn and the Study that policy search needs.
"""

from __future__ import annotations

from cairn.exports import lazy_exports

_EXPORTS = {
    **dict.fromkeys(["Operation", "Record", "Transform"], "cairn.augment.base"),
    **dict.fromkeys(["AutoContrast", "Brightness", "BrightnessContrast", "Color", "Contrast", "Equalize",
                     "Invert", "Posterize", "Sharpness", "Solarize"], "cairn.augment.colour"),
    **dict.fromkeys(["Compose", "Identity", "OneOf", "RandomApply"], "cairn.augment.compose"),
    "Cutout": "cairn.augment.cutout",
    "Elastic": "cairn.augment.elastic",
    **dict.fromkeys(["Affine", "Flip", "RandomCrop", "Rotate", "Scale", "Shear", "Translate"],
                    "cairn.augment.geometric"),
    "PCALighting": "cairn.augment.lighting",
    **dict.fromkeys(["MinMaxNormalize", "Standardize"], "cairn.augment.normalise"),
    **dict.fromkeys(["alexnet_patches", "predict_patches", "ten_patches"], "cairn.augment.patches"),
    **dict.fromkeys(["OPS", "RANDAUGMENT_OPS", "AutoAugment", "RandAugment", "TrivialAugment", "policy_op"],
                    "cairn.augment.policies"),
    **dict.fromkeys(["policy_config", "policy_from_config", "policy_space"], "cairn.augment.spaces"),
    **dict.fromkeys(["AugmentObjective", "augment_copies", "features"], "cairn.augment.objective"),
    **dict.fromkeys(["augmented_cash_space", "confirm_finalists", "search_policy"], "cairn.augment.search"),
    **dict.fromkeys(["gaussian_noise", "mixup", "smote"], "cairn.augment.tabular"),
}


__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
