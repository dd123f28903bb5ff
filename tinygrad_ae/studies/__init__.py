"""Research on top of the framework: the convergence study (:mod:`.convergence`), online
and streaming PCA (:mod:`.online`) and the benchmarks (:mod:`.bench`).
"""
