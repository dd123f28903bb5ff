# tinygrad-ae exercise: paper
import numpy as np


def partials(params, X):
    w1, w2, b1, w3, w4, b2, b3 = (params[k] for k in ("w1", "w2", "b1", "w3", "w4", "b2", "b3"))
    x1, x2 = X[:, 0], X[:, 1]
    h = w1 * x1 + w2 * x2 + b1
    r1 = x1 - (w3 * h + b2)
    r2 = x2 - (w4 * h + b3)
    beta = w3 * r1 + w4 * r2          # the residual pulled back to h, along both paths
    scale = -2.0 / len(X)
    return {
        "w1": scale * np.sum(beta * x1), "w2": scale * np.sum(beta * x2),
        "b1": scale * np.sum(beta),
        "w3": scale * np.sum(r1 * h), "w4": scale * np.sum(r2 * h),
        "b2": scale * np.sum(r1), "b3": scale * np.sum(r2),
    }
