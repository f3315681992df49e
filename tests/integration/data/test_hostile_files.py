"""Files that cannot be read, hostile names and symbols: one line and exit 2, nothing outside `--store`."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optionpilot.adapters.files.formats import Kind
from optionpilot.adapters.files.store import DataStore
from optionpilot.cli.main import app
from optionpilot.core.errors import DataError

HEADER = "datetime,symbol,open,high,low,close,volume\n"


def _import(store: Path, *paths: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["data", "import", *map(str, paths), "--store", str(store)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def _one_line_error(code: int, output: str, *words: str) -> None:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert code == 2, output
    assert len(lines) == 1 and lines[0].startswith("error:"), output
    assert "Traceback" not in output
    for w in words:
        assert w in lines[0], (w, output)


def _broken_gzip(p: Path) -> None:
    p.write_bytes(gzip.compress(HEADER.encode() + b"2021-01-04,SPY,1,1,1,1,1\n" * 50)[:-30])


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("missing.csv", lambda p: None, ("missing.csv",)),
        ("a_directory.csv", lambda p: p.mkdir(), ("a_directory.csv",)),
        ("garbage.csv", lambda p: p.write_bytes(bytes(range(256)) * 40), ("garbage.csv",)),
        ("broken.csv.gz", _broken_gzip, ("broken.csv.gz", "unreadable")),
        ("not_gzip.csv.gz", lambda p: p.write_text(HEADER), ("not_gzip.csv.gz",)),
        ("unknown.csv", lambda p: p.write_text("a,b,c\n1,2,3\n"), ("unknown.csv", "cannot tell the format")),
        ("empty.csv", lambda p: p.write_text(""), ("empty.csv",)),
        ("bad.json", lambda p: p.write_text("{not json"), ("bad.json",)),
    ],
)
def test_unreadable_file_is_one_line_and_exit_2(
    tmp_path: Path, name: str, make: object, words: tuple[str]
) -> None:
    path = tmp_path / name
    make(path)  # type: ignore[operator]
    code, out = _import(tmp_path / "store", path)
    _one_line_error(code, out, *words)
    assert not any((tmp_path / "store").rglob("*.parquet"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "locked.csv"
    path.write_text(HEADER + "2013-10-04 10:00:00,SPY,1,1,1,1,1\n")
    path.chmod(0)
    try:
        code, out = _import(tmp_path / "store", path)
    finally:
        path.chmod(0o600)
    _one_line_error(code, out, "locked.csv")


def test_hostile_symbols_are_rejected_and_nothing_leaves_the_store(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    rows = ["../../..", "..", "/etc/x", "SPY/../../x", "..\\x", "BRK..B", "", "ＳＰＹ"]
    good = ["SPY", "BRK.B", "M&M", "BAJAJ-AUTO", "BANKNIFTY"]
    body = "".join(f"2021-01-{4 + i:02d},{s},10,11,9,10,100\n" for i, s in enumerate(rows + good))
    (src / "daily.csv").write_text(HEADER + body)
    store = tmp_path / "store"
    code, out = _import(store, src / "daily.csv")
    assert code == 0, out
    assert f"{len(rows)} bad symbol" in out
    assert sorted(DataStore(store).symbols(Kind.DAILY_BARS)) == sorted(good)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "store"]
    assert all(p.resolve().is_relative_to(store.resolve()) for p in store.rglob("*"))


@pytest.mark.parametrize("name", ["...csv", "..\\..\\x.csv", "ünï cødé \u202egpj.csv", "-rf.csv", " .csv"])
def test_hostile_file_names_stay_inside(tmp_path: Path, name: str) -> None:
    src = tmp_path / "in"
    src.mkdir()
    path = src / name
    path.write_text("text,label\n$SPY up,1\nbad row,7\n")  # news: stored under the file's name
    store = tmp_path / "store"
    code, out = _import(store, path)
    assert code == 0, out
    written = list(store.rglob("*"))
    assert any(p.suffix == ".parquet" for p in written)
    assert all(p.resolve().is_relative_to(store.resolve()) for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in", "store"]


def test_a_symlink_out_of_the_store_is_refused(tmp_path: Path) -> None:
    outside, store = tmp_path / "outside", tmp_path / "store"
    outside.mkdir()
    store.mkdir()
    (store / "daily_bars").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DataError, match="outside the store"):
        DataStore(store).path(Kind.DAILY_BARS, "SPY")
    with pytest.raises(DataError, match="not a plain name"):
        DataStore(store).path(Kind.CHAINS, "..", "2021-01-04")
