"""Search strategies for architecture spaces, as cairn optimisers (ask/tell).

Registered in :data:`cairn.optim.STRATEGIES` as ``nas-evolution``
(:class:`~cairn.nas.strategies.evolution.RegularizedEvolution`), ``nas-rl``
(:class:`~cairn.nas.strategies.controller.ReinforceController`, an LSTM trained with
REINFORCE) and ``nas-bo`` (:class:`~cairn.nas.strategies.bo.PathBO`, Bayesian
optimisation on path encodings); random search is cairn's ``random``. Any of them can
draw the new configs of Hyperband (``Hyperband(space, sampler=...)``), which then
decides how many epochs each gets. The modules are imported one by one, as the registry
does, so the light strategies do not pay for the Gaussian process's imports.
"""
