# tinygrad-ae exercise: matmul
def matmul_vjp(g, out, a, b):
    return g @ b.T, a.T @ g
