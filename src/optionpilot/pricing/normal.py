"""The standard normal distribution in compiled (numba) kernels: density, CDF, and a rough inverse.

`ncdf_e` takes the exponential e = exp(-x^2/2) its caller already has, so one exponential serves an
option's density and both its CDFs.
"""

from __future__ import annotations

import math

import numba as nb

_SQRT1_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# Cephes' rational approximations of erf (|x| < 1) and erfc (1 <= |x| < 8, and beyond), highest
# power first; the denominators' leading coefficient is 1.
_ERF_NUM = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_ERF_DEN = (
    1.0,
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_ERFC_NUM = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_ERFC_DEN = (
    1.0,
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)
_ERFC_TAIL_NUM = (
    5.64189583547755073984e-1,
    1.27536670759978104416e0,
    5.01905042251180477414e0,
    6.16021097993053585195e0,
    7.40974269950448939160e0,
    2.97886665372100240670e0,
)
_ERFC_TAIL_DEN = (
    1.0,
    2.26052863220117276590e0,
    9.39603524938001434673e0,
    1.20489539808096656605e1,
    1.70814450747565897222e1,
    9.60896809063285878198e0,
    3.36907645100081516050e0,
)


@nb.njit(cache=True, inline="always")
def _horner(coefficients: tuple[float, ...], x: float) -> float:
    """The polynomial with these coefficients (highest power first) at x."""
    acc = coefficients[0]
    for c in coefficients[1:]:
        acc = acc * x + c
    return acc


@nb.njit(cache=True, inline="always")
def ncdf(x: float) -> float:
    return 0.5 * math.erfc(-x * _SQRT1_2)


@nb.njit(cache=True, inline="always")
def npdf(x: float) -> float:
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)


@nb.njit(cache=True, inline="always")
def ncdf_e(x: float, e: float) -> float:
    """N(x) given e = exp(-x^2/2), so one exponential serves the density and both CDFs of an option.

    Cephes' rational approximations of erf and erfc (relative error about 1e-15).
    """
    u = abs(x) * _SQRT1_2
    if u < 1.0:
        z = u * u
        half_erf = 0.5 * u * _horner(_ERF_NUM, z) / _horner(_ERF_DEN, z)
        return 0.5 + half_erf if x > 0.0 else 0.5 - half_erf
    if u < 8.0:
        num = _horner(_ERFC_NUM, u)
        den = _horner(_ERFC_DEN, u)
    else:
        num = _horner(_ERFC_TAIL_NUM, u)
        den = _horner(_ERFC_TAIL_DEN, u)
    half_erfc = 0.5 * e * num / den
    return 1.0 - half_erfc if x > 0.0 else half_erfc


@nb.njit(cache=True, inline="always")
def ninv_tail(p: float) -> float:
    """A rough inverse of the normal CDF for 0 < p <= 0.5 (Abramowitz-Stegun 26.2.23), only a start."""
    t = math.sqrt(-2.0 * math.log(p))
    return -(
        t
        - (2.515517 + 0.802853 * t + 0.010328 * t * t)
        / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t**3)
    )
