# tinygrad-ae exercise: sum
def sum_vjp(g, out, x, axis, keepdims):
    kept = tuple(1 if axis is None or i == axis else n for i, n in enumerate(x.shape))
    return (g.reshape(kept),)
