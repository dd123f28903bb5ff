"""Numpy-only truths that judge the engine: PCA and the Eckart–Young bound
(:mod:`.pca`), the hand-derived gradients (:mod:`.closed_form`) and the predictions of
how long gradient descent takes to reach PCA (:mod:`.dynamics`), and what changes when the
data are not centred (:mod:`.uncentred`).

This layer never imports the autograd engine, so it can judge it.
"""
