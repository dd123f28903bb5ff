# tinygrad-ae exercise: linear_ae


def grads(W_e, b_e, W_d, b_d, X):
    H = X @ W_e.T + b_e
    G = (-2.0 / len(X)) * (X - (H @ W_d.T + b_d))     # ∂L/∂X̂
    G_code = G @ W_d                                  # ∂L/∂H
    return {"W_e": G_code.T @ X, "b_e": G_code.sum(axis=0),
            "W_d": G.T @ H, "b_d": G.sum(axis=0)}
