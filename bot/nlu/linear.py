"""The two linear models of the ranker, without scikit-learn.

* :func:`fit_svm`: one-vs-rest L2-regularised squared-hinge SVM over sparse
  TF-IDF rows, solved by LIBLINEAR's dual coordinate descent (the solver that
  scikit-learn's ``LinearSVC`` wraps), through the ``liblinear-official``
  ctypes binding;
* :func:`fit_softmax`: multinomial logistic regression over dense rows, L-BFGS
  in numpy (what ``LogisticRegression(solver="lbfgs")`` fits).

Why not scikit-learn: importing it costs ~76 MB of resident memory and 0.7 s
for the life of the process, to run two solvers. Both functions return plain
float32 arrays ``(coef (labels × features), bias (labels,), classes)``; for
two labels the SVM gives one row, positive for the second label.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

import numpy as np
from scipy import sparse

Fitted = tuple[np.ndarray, np.ndarray, np.ndarray]
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def fit_svm(x: sparse.csr_matrix, y: np.ndarray, *, c: float = 1.0, tol: float = 1e-4) -> Fitted:
    """Squared-hinge SVM, one-vs-rest; the bias is a constant feature 1, as in LIBLINEAR."""
    from liblinear import liblinear as ll  # type: ignore[import-untyped]

    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError("an SVM needs at least two labels")
    ll.liblinear.set_print_string_function(ll.PRINT_STRING_FUN(ll.print_null))
    prob = ll.problem(y.astype(np.float64), sparse.csr_matrix(x, dtype=np.float64), bias=1.0)
    param = ll.parameter(f"-s 1 -c {c} -e {tol} -B 1 -q")
    model = ll.toPyModel(ll.liblinear.train(prob, param))
    labels = np.ctypeslib.as_array(model.label, shape=(model.nr_class,)).copy()
    n_w = 1 if model.nr_class == 2 else model.nr_class
    n_feat = model.nr_feature + 1  # the bias feature comes last
    flat = ctypes.cast(model.w, ctypes.POINTER(ctypes.c_double))
    w = np.ctypeslib.as_array(flat, shape=(n_feat * n_w,)).reshape(n_feat, n_w)
    coef = np.ascontiguousarray(w[:-1].T, dtype=np.float32)
    bias = w[-1].astype(np.float32)
    if n_w == 1:  # one hyperplane, positive for LIBLINEAR's first label: make it classes[1]'s
        sign = 1.0 if labels[0] == classes[1] else -1.0
        return sign * coef, sign * bias, classes.astype(np.int64)
    order = np.argsort(labels)
    return coef[order], bias[order], labels[order].astype(np.int64)


def fit_softmax(
    x: np.ndarray, y: np.ndarray, *, c: float = 1.0, max_iter: int = 300, tol: float = 1e-4
) -> Fitted:
    """Multinomial logistic regression: mean cross-entropy + ||W||² / (2·c·n); bias unpenalised."""
    classes, yi = np.unique(y, return_inverse=True)
    n, d = x.shape
    k = len(classes)
    x = np.ascontiguousarray(x, dtype=np.float32)
    onehot = np.zeros((n, k), dtype=np.float32)
    onehot[np.arange(n), yi] = 1.0
    alpha = 1.0 / (c * n)

    def loss_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * k].reshape(d, k).astype(np.float32)
        b = theta[d * k :].astype(np.float32)
        z = x @ w + b
        z -= z.max(axis=1, keepdims=True)
        z_true = z[np.arange(n), yi]
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        logp_true = z_true - np.log(total[:, 0])
        z /= total
        z -= onehot  # dL/dz (times n)
        gw = (x.T @ z).astype(np.float64) / n + alpha * w
        gb = z.sum(axis=0, dtype=np.float64) / n
        loss = -float(logp_true.mean()) + 0.5 * alpha * float(np.sum(w.astype(np.float64) ** 2))
        return loss, np.concatenate([gw.ravel(), gb])

    theta = _lbfgs(loss_grad, np.zeros(d * k + k), max_iter=max_iter, tol=tol)
    coef = np.ascontiguousarray(theta[: d * k].reshape(d, k).T, dtype=np.float32)
    return coef, theta[d * k :].astype(np.float32), classes.astype(np.int64)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Inner product without BLAS: its threads only spin on vectors this small."""
    return float(np.einsum("i,i->", a, b))


def _lbfgs(fun: Objective, theta: np.ndarray, *, max_iter: int, tol: float) -> np.ndarray:
    """Minimise ``fun(theta) -> (loss, grad)``: L-BFGS (10 pairs), backtracking Armijo search."""
    loss, grad = fun(theta)
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1 / y·s)
    for _ in range(max_iter):
        if np.abs(grad).max() <= tol:
            break
        q = grad.copy()
        alphas = []
        for s, y, rho in reversed(pairs):
            a = rho * _dot(s, q)
            alphas.append(a)
            q -= a * y
        if pairs:
            s, y, _ = pairs[-1]
            q *= _dot(s, y) / _dot(y, y)
        for (s, y, rho), a in zip(pairs, reversed(alphas), strict=True):
            q += (a - rho * _dot(y, q)) * s
        direction, slope = -q, -_dot(grad, q)
        if slope >= 0:  # not a descent direction: start over from the gradient
            pairs.clear()
            direction, slope = -grad, -_dot(grad, grad)
        # first step (or after a restart): unit length, as L-BFGS-B takes it
        step = 1.0 if pairs else 1.0 / max(float(np.sqrt(_dot(direction, direction))), 1e-12)
        for _ in range(30):
            new = theta + step * direction
            new_loss, new_grad = fun(new)
            if new_loss <= loss + 1e-4 * step * slope:
                break
            step /= 2
        else:
            break  # no decrease along the direction: as good as it gets
        s, y = new - theta, new_grad - grad
        if _dot(s, y) > 1e-10:
            pairs = [*pairs[-9:], (s, y, 1.0 / _dot(s, y))]
        flat = len(pairs) > 1 and loss - new_loss <= 64 * np.finfo(float).eps * max(
            abs(loss), abs(new_loss), 1.0
        )
        theta, loss, grad = new, new_loss, new_grad
        if flat:
            break
    return theta
