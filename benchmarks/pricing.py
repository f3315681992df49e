"""Pricing speed and accuracy against py_vollib_vectorized, on one core and on all cores.

Run: .venv/bin/python benchmarks/pricing.py [N]   (needs the `bench` extra)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numba
import numpy as np

from optionpilot.pricing import black_scholes as ref
from optionpilot.pricing import iv_kernels, kernels
from optionpilot.pricing.compiled import bs_price_one, implied_vol_one


def best(fn: Callable[[], object], repeat: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(n: int) -> None:
    rng = np.random.default_rng(42)
    S = rng.uniform(80, 120, n)
    K = rng.uniform(80, 120, n)
    T = rng.uniform(7 / 365, 2.0, n)
    r = rng.uniform(0.0, 0.05, n)
    q = rng.uniform(0.0, 0.03, n)
    v = rng.uniform(0.1, 0.8, n)
    c = rng.random(n) < 0.5
    truth = ref.bs_greeks(S, K, T, r, q, v, c)
    price = truth.price
    strict = truth.vega >= 0.01
    out = np.empty((6, n))
    iv = np.empty(n)
    why = np.empty(n, dtype=np.int8)
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"{n:,} options, {cores} cores")

    t = best(lambda: ref.bs_greeks(S, K, T, r, q, v, c))
    print(f"price+greeks numpy reference        {n / t / 1e6:7.2f} M/s")
    for label, threads in (("1 core", 1), (f"{cores} cores", cores)):
        numba.set_num_threads(threads)
        t = best(lambda: kernels.greeks_parallel(S, K, T, r, q, v, c, out))
        err = max(float(np.max(np.abs(out[i] - x))) for i, x in enumerate(truth))
        print(
            f"price+greeks compiled, {label:8s}     {n / t / 1e6:7.2f} M/s  max |err| vs reference {err:.1e}"
        )
        t = best(lambda: iv_kernels.iv_parallel(price, S, K, T, r, q, c, 100, 1e-13, iv, why))
        e = float(np.max(np.abs(iv - v)[strict]))
        fails = int(np.count_nonzero(why[strict] != 0))
        print(
            f"IV compiled, {label:8s}               {n / t / 1e6:7.2f} M/s  "
            f"max |err| (vega>=0.01) {e:.1e}, failures {fails}"
        )

    try:
        import py_vollib_vectorized as pvv
    except ImportError:
        print("py_vollib_vectorized not installed (pip install -e '.[bench]'): comparison skipped")
    else:
        flag = np.where(c, "c", "p")
        kw = {"q": q, "model": "black_scholes_merton", "return_as": "numpy", "on_error": "ignore"}
        for label, threads in (("1 core", 1), (f"{cores} cores", cores)):
            numba.set_num_threads(threads)
            t = best(lambda: pvv.vectorized_implied_volatility(price, S, K, T, r, flag, **kw))
            theirs = pvv.vectorized_implied_volatility(
                price,
                S,
                K,
                T,
                r,
                flag,
                q=q,
                model="black_scholes_merton",
                return_as="numpy",
                on_error="ignore",
            )
            e = float(np.nanmax(np.abs(theirs - v)[strict]))
            fails = int(np.count_nonzero(~np.isfinite(theirs[strict])))
            print(
                f"IV py_vollib_vectorized, {label:8s}   {n / t / 1e6:7.2f} M/s  "
                f"max |err| (vega>=0.01) {e:.1e}, failures {fails}"
            )
            t = best(
                lambda: pvv.get_all_greeks(
                    flag, S, K, T, r, v, q=q, model="black_scholes_merton", return_as="dict"
                )
            )
            print(f"greeks py_vollib_vectorized, {label:8s} {n / t / 1e6:7.2f} M/s")
        numba.set_num_threads(cores)

    reps = 200_000
    t0 = time.perf_counter()
    for _ in range(reps):
        bs_price_one(100.0, 100.0, 0.5, 0.03, 0.01, 0.2, True)
    print(f"single bs_price_one call            {(time.perf_counter() - t0) / reps * 1e9:7.0f} ns")
    t0 = time.perf_counter()
    for _ in range(reps):
        implied_vol_one(6.09, 100.0, 100.0, 0.5, 0.03, 0.01, True)
    print(f"single implied_vol_one call         {(time.perf_counter() - t0) / reps * 1e9:7.0f} ns")


# --- American options ----------------------------------------------------------------------------------


def american(n: int, n_tree: int = 500, floor: float = 0.01) -> None:
    """Options/s of the integral method, and its max relative error against a 2,000-step tree."""
    from optionpilot.pricing.american import AmericanConfig, Resolution, american_price, american_tree_price

    rng = np.random.default_rng(7)
    S = 100.0 * np.exp(rng.normal(0.0, 0.05, n))
    K = np.exp(rng.uniform(np.log(50.0), np.log(200.0), n))
    T = np.exp(rng.uniform(np.log(1 / 8760), np.log(3.0), n))
    r, q = rng.uniform(0.0, 0.1, n), rng.uniform(0.0, 0.1, n)
    v = np.exp(rng.uniform(np.log(0.05), np.log(1.5), n))
    c = rng.random(n) < 0.5
    args = (S, K, T, r, q, v, c)
    cores = numba.config.NUMBA_NUM_THREADS
    print(f"American, {n:,} options (S~100, K 50-200, T 1h-3y, r,q 0-10%, vol 5-150%)")
    for label, threads in (("1 core", 1), (f"{cores} cores", cores)):
        numba.set_num_threads(threads)
        t = best(lambda: american_price(*args), repeat=2)
        print(f"american_price, {label:8s}            {n / t / 1e3:7.1f} k/s")
    numba.set_num_threads(cores)
    reps = 20_000
    american_price(100.0, 100.0, 0.5, 0.03, 0.01, 0.2, False)
    t0 = time.perf_counter()
    for _ in range(reps):
        american_price(100.0, 100.0, 0.5, 0.03, 0.01, 0.2, False)
    print(f"single american_price call          {(time.perf_counter() - t0) / reps * 1e6:7.1f} us")
    sample = tuple(a[:n_tree] for a in args)
    fast = american_price(*sample)
    t0 = time.perf_counter()
    tree = american_tree_price(*sample, steps=2000)
    t_tree = time.perf_counter() - t0
    fine = Resolution(boundary_nodes=32, fixed_point_steps=20, boundary_quadrature=48, premium_quadrature=96)
    converged = american_price(*sample, config=AmericanConfig(fine_above=1e9, fast=fine))
    worth = tree >= floor
    rel_tree = np.abs(fast - tree)[worth] / tree[worth]
    rel_conv = np.abs(fast - converged)[worth] / converged[worth]
    print(
        f"2,000-step tree on {n_tree} of them     {n_tree / t_tree:7.1f} /s; "
        f"{int(worth.sum())} worth >= ${floor}: max rel err vs tree {rel_tree.max():.1e}, "
        f"vs converged integral {rel_conv.max():.1e}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
    american(200_000)
