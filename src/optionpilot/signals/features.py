"""Per-symbol 1-minute features, updated incrementally in O(1) per completed bar.

A backtest feeds tens of thousands of bars, so each update is plain-Python rolling sums over deques
(no numpy per bar). Returns (ret_5m, ret_15m, realized vol) are measured over bars, so the first bars
of a session reach back into the previous one: that is what a trader sees on a 1-minute chart.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from optionpilot.core.errors import DataError, LookAheadError
from optionpilot.domain.market import Bar

NAN = float("nan")


class FeatureConfig(BaseModel):
    """Windows of the 1-minute features (seed 003: SMA20/SMA50, slope over 20 bars, ret_5m, ret_15m)."""

    model_config = ConfigDict(extra="forbid")

    sma_fast: int = Field(20, ge=2)
    sma_slow: int = Field(50, ge=3)
    slope_bars: int = Field(20, ge=1)
    ret_short_bars: int = Field(5, ge=1)
    ret_long_bars: int = Field(15, ge=1)
    atr_bars: int = Field(14, ge=1)
    realized_vol_bars: int = Field(30, ge=2)
    # 390 regular minutes x 252 sessions: annualizes a 1-minute standard deviation.
    bars_per_year: float = Field(390.0 * 252.0, gt=0)
    # Typical volume of a minute of the day: the mean of that minute over the last N sessions.
    volume_sessions: int = Field(20, ge=1)
    # Below this many past sessions at that minute, compare with the session's running mean instead.
    volume_min_sessions: int = Field(1, ge=1)
    recent_volume_bars: int = Field(3, ge=1)
    # Crossings of the close over SMA20 counted over this many bars (the chop filter's "oscillating").
    cross_window_bars: int = Field(20, ge=2)
    # Exchange time zone: minute-of-day and session boundaries are local.
    timezone: str = "America/New_York"


@dataclass(frozen=True, slots=True)
class Features:
    """What the rules may know about one symbol after a completed bar. NaN means not yet known."""

    symbol: str
    ts: datetime  # end of the last bar included
    session: date
    bars: int  # bars seen so far
    close: float
    volume: float
    sma20: float
    sma50: float
    distance_sma20: float  # (close - sma20) / sma20
    sma20_slope: float  # (sma20 now - sma20 `slope_bars` ago) / the latter
    volume_ratio: float  # this bar's volume over the typical volume of this minute of the day
    recent_volume_ratios: tuple[float, ...]  # the last few volume ratios, oldest first
    ret_5m: float
    ret_15m: float
    atr: float  # Wilder's average true range, in price
    realized_vol: float  # annualized, from 1-minute log returns
    trend_state: int  # +1 up (close > sma20 > sma50, rising), -1 down, 0 neither
    sma20_crosses: int  # sign changes of close - sma20 over the cross window
    iv_rank: float | None = None
    iv_percentile: float | None = None
    daily_trend: int = 0  # the trend of completed daily sessions (signals.daily_trend), 0 when unknown

    @property
    def ready(self) -> bool:
        """Every moving window is full, so no feature is NaN."""
        return not (
            math.isnan(self.sma50)
            or math.isnan(self.sma20_slope)
            or math.isnan(self.ret_15m)
            or math.isnan(self.volume_ratio)
            or math.isnan(self.atr)
            or math.isnan(self.realized_vol)
        )

    @property
    def atr_pct(self) -> float:
        return self.atr / self.close if self.close > 0 else NAN

    def as_dict(self) -> dict[str, float]:
        """The numeric features, for storing beside a signal."""
        out = {
            "close": self.close,
            "sma20": self.sma20,
            "sma50": self.sma50,
            "distance_sma20": self.distance_sma20,
            "sma20_slope": self.sma20_slope,
            "volume_ratio": self.volume_ratio,
            "ret_5m": self.ret_5m,
            "ret_15m": self.ret_15m,
            "atr": self.atr,
            "realized_vol": self.realized_vol,
            "trend_state": float(self.trend_state),
            "sma20_crosses": float(self.sma20_crosses),
            "daily_trend": float(self.daily_trend),
        }
        if self.iv_rank is not None:
            out["iv_rank"] = self.iv_rank
        if self.iv_percentile is not None:
            out["iv_percentile"] = self.iv_percentile
        return out


class _Rolling:
    """Fixed-window running sum (and sum of squares) over a deque."""

    __slots__ = ("n", "sum", "sum_sq", "values")

    def __init__(self, n: int) -> None:
        self.n = n
        self.values: deque[float] = deque()
        self.sum = 0.0
        self.sum_sq = 0.0

    def push(self, x: float) -> None:
        values = self.values
        values.append(x)
        self.sum += x
        self.sum_sq += x * x
        if len(values) > self.n:
            old = values.popleft()
            self.sum -= old
            self.sum_sq -= old * old

    @property
    def full(self) -> bool:
        return len(self.values) == self.n

    def mean(self) -> float:
        return self.sum / self.n if len(self.values) == self.n else NAN

    def std(self) -> float:
        n = len(self.values)
        if n < self.n:
            return NAN
        var = (self.sum_sq - self.sum * self.sum / n) / (n - 1)
        return math.sqrt(var) if var > 0.0 else 0.0


class FeatureTracker:
    """Features of one symbol, fed its completed 1-minute bars in time order."""

    def __init__(self, symbol: str, config: FeatureConfig | None = None) -> None:
        self.symbol = symbol
        self.config = cfg = config or FeatureConfig()
        if cfg.sma_slow <= cfg.sma_fast:
            raise DataError(f"features: sma_slow ({cfg.sma_slow}) must exceed sma_fast ({cfg.sma_fast})")
        self._zone = ZoneInfo(cfg.timezone)
        self._fast = _Rolling(cfg.sma_fast)
        self._slow = _Rolling(cfg.sma_slow)
        self._closes: deque[float] = deque(maxlen=max(cfg.ret_short_bars, cfg.ret_long_bars) + 1)
        self._sma_hist: deque[float] = deque(maxlen=cfg.slope_bars + 1)
        self._log_ret = _Rolling(cfg.realized_vol_bars)
        self._recent_vr: deque[float] = deque(maxlen=cfg.recent_volume_bars)
        self._crossed: deque[int] = deque(maxlen=cfg.cross_window_bars - 1)
        self._cross_count = 0
        self._last_sign = 0
        self._atr = NAN
        self._tr_sum = 0.0
        self._tr_count = 0
        self._prev_close = NAN
        self._last_start: datetime | None = None
        # Per local minute of day: the last `volume_sessions` volumes and their sum.
        self._minute_vol: dict[int, deque[float]] = {}
        self._minute_sum: dict[int, float] = {}
        self._session: date | None = None
        self._session_vol_sum = 0.0
        self._session_bars = 0
        self._offset_hour = -1
        self._offset = timedelta(0)
        self.bars = 0
        self.skipped: dict[str, int] = {}
        self.last: Features | None = None

    def _skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def rescale(self, ratio: float) -> None:
        """Restate everything remembered in post-split terms (prices / ratio, volumes x ratio), so a
        7-for-1 split is not seen as an 86% crash. Returns and volume ratios are unchanged by a split."""
        if not ratio > 0 or not math.isfinite(ratio):
            raise DataError(f"features {self.symbol}: split ratio {ratio!r} must be a positive number")
        k = 1.0 / ratio
        for window in (self._fast, self._slow):
            window.values = deque(v * k for v in window.values)
            window.sum *= k
            window.sum_sq *= k * k
        self._closes = deque((c * k for c in self._closes), maxlen=self._closes.maxlen)
        self._sma_hist = deque((v * k for v in self._sma_hist), maxlen=self._sma_hist.maxlen)
        self._atr *= k
        self._tr_sum *= k
        self._prev_close *= k
        for minute, vols in self._minute_vol.items():
            self._minute_vol[minute] = deque((v * ratio for v in vols), maxlen=vols.maxlen)
            self._minute_sum[minute] *= ratio
        self._session_vol_sum *= ratio

    def _local(self, start: datetime) -> datetime:
        # A zone lookup per bar is slow; the offset only changes on the hour (DST), so cache it per hour.
        hour_key = start.toordinal() * 24 + start.hour
        if hour_key != self._offset_hour:
            offset = start.astimezone(self._zone).utcoffset()
            self._offset = offset if offset is not None else timedelta(0)
            self._offset_hour = hour_key
        return start + self._offset

    def update(
        self,
        bar: Bar,
        *,
        asof: datetime | None = None,
        iv_rank: float | None = None,
        iv_percentile: float | None = None,
        daily_trend: int = 0,
    ) -> Features | None:
        """Add one completed bar and return the features after it.

        Bars that cannot be used (other symbol, out of order, non-finite or non-positive prices,
        negative volume) are skipped and counted in `skipped`; then the last features are returned.
        With `asof`, a bar that has not ended by then is refused: it would be looking ahead.
        """
        if asof is not None and bar.start + bar.length > asof:
            raise LookAheadError(
                f"features {self.symbol}: bar {bar.start.isoformat()} ends after {asof.isoformat()}"
            )
        if bar.symbol != self.symbol:
            self._skip("other symbol")
            return self.last
        if self._last_start is not None and bar.start <= self._last_start:
            self._skip("not after the previous bar")
            return self.last
        close, high, low, volume = bar.close, bar.high, bar.low, bar.volume
        if not (close > 0.0 and high > 0.0 and low > 0.0 and high >= low and math.isfinite(high)):
            self._skip("bad prices")
            return self.last
        if not (volume >= 0.0 and math.isfinite(volume)):
            self._skip("bad volume")
            return self.last
        cfg = self.config
        self._last_start = bar.start
        self.bars += 1

        local = self._local(bar.start)
        day = local.date()
        minute = local.hour * 60 + local.minute
        if day != self._session:
            self._session = day
            self._session_vol_sum = 0.0
            self._session_bars = 0

        # Volume ratio against this minute's history (excluding this bar), else the session so far.
        hist = self._minute_vol.get(minute)
        if hist is not None and len(hist) >= cfg.volume_min_sessions:
            typical = self._minute_sum[minute] / len(hist)
        elif self._session_bars > 0:
            typical = self._session_vol_sum / self._session_bars
        else:
            typical = NAN
        volume_ratio = volume / typical if typical > 0.0 else NAN
        if hist is None:
            hist = self._minute_vol[minute] = deque()
            self._minute_sum[minute] = 0.0
        hist.append(volume)
        self._minute_sum[minute] += volume
        if len(hist) > cfg.volume_sessions:
            self._minute_sum[minute] -= hist.popleft()
        self._session_vol_sum += volume
        self._session_bars += 1
        self._recent_vr.append(volume_ratio)

        # True range and Wilder's ATR: a plain mean of the first `atr_bars` ranges seeds it.
        prev = self._prev_close
        if math.isnan(prev):  # first bar
            tr = high - low
        else:
            tr = max(high - low, abs(high - prev), abs(low - prev))
            self._log_ret.push(math.log(close / prev))
        n_atr = cfg.atr_bars
        if self._tr_count < n_atr:
            self._tr_sum += tr
            self._tr_count += 1
            if self._tr_count == n_atr:
                self._atr = self._tr_sum / n_atr
        else:
            self._atr = (self._atr * (n_atr - 1) + tr) / n_atr
        self._prev_close = close

        closes = self._closes
        closes.append(close)
        fast, slow = self._fast, self._slow
        fast.push(close)
        slow.push(close)
        sma20 = fast.mean()
        sma50 = slow.mean()
        sma_hist = self._sma_hist
        slope = NAN
        distance = NAN
        if not math.isnan(sma20):
            sma_hist.append(sma20)
            distance = (close - sma20) / sma20
            if len(sma_hist) == sma_hist.maxlen:
                slope = (sma20 - sma_hist[0]) / sma_hist[0]
            sign = 1 if close > sma20 else (-1 if close < sma20 else 0)
            crossed = 1 if sign != 0 and self._last_sign not in (0, sign) else 0
            if sign != 0:
                self._last_sign = sign
            crosses = self._crossed
            if len(crosses) == crosses.maxlen:
                self._cross_count -= crosses[0]
            crosses.append(crossed)
            self._cross_count += crossed

        n = len(closes)
        k5, k15 = cfg.ret_short_bars, cfg.ret_long_bars
        ret5 = close / closes[-1 - k5] - 1.0 if n > k5 else NAN
        ret15 = close / closes[-1 - k15] - 1.0 if n > k15 else NAN

        trend = 0
        if not (math.isnan(sma50) or math.isnan(slope)):
            if close > sma20 > sma50 and slope > 0.0:
                trend = 1
            elif close < sma20 < sma50 and slope < 0.0:
                trend = -1

        rv = self._log_ret.std()
        features = Features(
            symbol=self.symbol,
            ts=bar.start + bar.length,
            session=day,
            bars=self.bars,
            close=close,
            volume=volume,
            sma20=sma20,
            sma50=sma50,
            distance_sma20=distance,
            sma20_slope=slope,
            volume_ratio=volume_ratio,
            recent_volume_ratios=tuple(self._recent_vr),
            ret_5m=ret5,
            ret_15m=ret15,
            atr=self._atr,
            realized_vol=rv * math.sqrt(cfg.bars_per_year) if not math.isnan(rv) else NAN,
            trend_state=trend,
            sma20_crosses=self._cross_count,
            iv_rank=iv_rank,
            iv_percentile=iv_percentile,
            daily_trend=daily_trend,
        )
        self.last = features
        return features


class FeatureBook:
    """One tracker per symbol, made on first sight of the symbol."""

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        self.trackers: dict[str, FeatureTracker] = {}

    def update(self, bar: Bar, *, asof: datetime | None = None) -> Features | None:
        tracker = self.trackers.get(bar.symbol)
        if tracker is None:
            tracker = self.trackers[bar.symbol] = FeatureTracker(bar.symbol, self.config)
        return tracker.update(bar, asof=asof)

    def latest(self, symbol: str) -> Features | None:
        tracker = self.trackers.get(symbol)
        return tracker.last if tracker is not None else None
