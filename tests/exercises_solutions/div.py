# tinygrad-ae exercise: div
from tinygrad_ae.exercises import sum_to_shape


def div_vjp(g, out, a, b):
    grad_a = g / b
    return sum_to_shape(grad_a, a.shape), sum_to_shape(-grad_a * out, b.shape)
