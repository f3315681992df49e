from __future__ import annotations

import numpy as np

from optionpilot.adapters.sim.market_config import PathConfig, default_us_profiles
from optionpilot.adapters.sim.paths import (
    SessionEffects,
    daily_path,
    ou_path,
    session_paths,
    u_shape,
)

PROFILES = default_us_profiles()
CFG = PathConfig()


def _run(profiles=PROFILES, effects=None, seed=3, day_key=740000):
    n = len(profiles)
    return session_paths(
        profiles,
        CFG,
        seed,
        day_key,
        390,
        390,
        np.array([p.spot for p in profiles]),
        np.log(np.array([p.base_vol for p in profiles])),
        effects or SessionEffects.none(n, 390),
    )


def test_u_shape_has_mean_one_and_is_high_at_both_ends() -> None:
    w = u_shape(390, 3.0, 2.0, 0.06)
    assert abs(w.mean() - 1.0) < 1e-12
    assert w[0] > 3 * w[195] and w[-1] > 2 * w[195]


def test_ou_closed_form_matches_the_recursion() -> None:
    rng = np.random.default_rng(1)
    shocks = rng.standard_normal((3, 400)) * 0.01
    y0, level, phi = np.array([0.1, -1.0, 0.5]), np.array([0.0, -1.5, 0.2]), np.array([0.999, 0.98, 0.9999])
    y = ou_path(y0, level, phi, shocks)
    ref = np.empty_like(shocks)
    prev = y0.copy()
    for t in range(400):
        prev = level + phi * (prev - level) + shocks[:, t]
        ref[:, t] = prev
    np.testing.assert_allclose(y, ref, rtol=1e-9, atol=1e-12)


def test_daily_path_ends_at_spot_with_consistent_bars() -> None:
    spy = PROFILES[0]
    d = daily_path(spy, CFG, 11, 260)
    assert d.close[-1] == spy.spot
    assert np.all(d.high >= np.maximum(d.open, d.close)) and np.all(d.low <= np.minimum(d.open, d.close))
    assert np.all(d.low > 0) and np.all(d.volume > 0) and np.all(d.sigma > 0)
    realized = np.std(np.diff(np.log(d.close))) * np.sqrt(252)
    assert 0.4 * spy.base_vol < realized < 2.5 * spy.base_vol


def test_session_bars_are_consistent_and_tick_rounded() -> None:
    p = _run()
    assert p.close.shape == (10, 390)
    assert np.all(p.high >= np.maximum(p.open, p.close)) and np.all(p.low <= np.minimum(p.open, p.close))
    np.testing.assert_array_equal(p.open[:, 1:], p.close[:, :-1])
    assert np.allclose(np.round(p.close * 100), p.close * 100)
    assert np.all(np.diff(p.cum_volume_share, axis=1) > 0)


def test_volume_is_u_shaped_on_average() -> None:
    total = sum(_run(day_key=740000 + k).volume for k in range(5))
    first, middle, last = total[:, :15].mean(), total[:, 180:210].mean(), total[:, -15:].mean()
    assert first > 2 * middle and last > 1.5 * middle


def test_a_symbol_path_does_not_depend_on_the_others() -> None:
    whole = _run()
    alone = _run(profiles=(PROFILES[5],))
    reversed_ = _run(profiles=tuple(reversed(PROFILES)))
    np.testing.assert_array_equal(whole.close[5], alone.close[0])
    np.testing.assert_array_equal(whole.volume[5], reversed_.volume[4])


def test_same_seed_same_path_other_seed_other_path() -> None:
    np.testing.assert_array_equal(_run().close, _run().close)
    assert not np.array_equal(_run().close, _run(seed=4).close)


def test_planted_drift_jump_and_volume() -> None:
    base = _run()
    effects = SessionEffects.none(10, 390)
    effects.drift[0, 100:120] += np.log1p(0.02) / 20
    effects.jump[0, 100] += np.log1p(0.01)
    effects.volume_multiple[0, 100:120] *= 5.0
    planted = _run(effects=effects)
    move = np.log(planted.close[0, 119] / planted.close[0, 99]) - np.log(
        base.close[0, 119] / base.close[0, 99]
    )
    assert abs(move - (np.log1p(0.02) + np.log1p(0.01))) < 2e-4  # only tick rounding differs
    ratio = planted.volume[0, 100:120].sum() / base.volume[0, 100:120].sum()
    assert 4.0 < ratio < 6.0
    np.testing.assert_array_equal(planted.close[1:], base.close[1:])
