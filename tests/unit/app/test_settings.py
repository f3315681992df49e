from pathlib import Path

import pytest
from pydantic import SecretStr

from optionpilot.app.config import OptionPilotConfig
from optionpilot.app.settings import env_overrides, load_model, masked_dump
from optionpilot.core.errors import ConfigError


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[run]\nseed = 1\ntitle = 'from file'\n[engine]\nwatchlist_interval_minutes = 10\n")
    cfg = load_model(
        OptionPilotConfig,
        f,
        environ={"OPTIONPILOT_RUN__SEED": "2", "OPTIONPILOT_TEST_PG_URL": "ignored", "HOME": "/x"},
        overrides={"run": {"title": "from flag"}},
    )
    assert cfg.run.seed == 2 and cfg.run.title == "from flag"
    assert cfg.engine.watchlist_interval_minutes == 10
    assert cfg.strategy.exits.stop_loss.as_tuple()  # seed default survives


def test_seed_defaults_are_in_the_config() -> None:
    cfg = OptionPilotConfig()
    assert [a.name for a in cfg.accounts] == ["large", "tiny"]
    assert str(cfg.accounts[0].starting_cash) == "121000"
    tiers = {t.name: t for t in cfg.strategy.tiers.tiers}
    assert str(tiers["tiny"].risk_pct_day) == "0.25" and tiers["tiny"].max_contracts == 2


def test_errors_name_the_key_and_source(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[run]\nsede = 1\n")
    with pytest.raises(ConfigError, match=r"c\.toml: unknown config key 'run\.sede'"):
        load_model(OptionPilotConfig, f, environ={})
    with pytest.raises(ConfigError, match="does not exist"):
        load_model(OptionPilotConfig, tmp_path / "missing.toml", environ={})
    f.write_text("[run\n")
    with pytest.raises(ConfigError, match=r"c\.toml"):
        load_model(OptionPilotConfig, f, environ={})
    with pytest.raises(ConfigError, match=r"unknown config key 'engine\.nope'"):
        load_model(OptionPilotConfig, None, environ={"OPTIONPILOT_ENGINE__NOPE": "1"})


def test_secrets_are_masked_and_empty_ones_stay_empty() -> None:
    cfg = OptionPilotConfig.model_validate({"live": {"alpaca_key_id": "AKXYZ"}})
    dumped = masked_dump(cfg)
    assert dumped["live"]["alpaca_key_id"] == "********"
    assert dumped["live"]["dhan_access_token"] == ""
    assert isinstance(cfg.live.alpaca_key_id, SecretStr)


def test_env_values_parse_as_json_where_they_can() -> None:
    tree = env_overrides({"OPTIONPILOT_A__B": "[1, 2]", "OPTIONPILOT_A__C": "text", "OTHER": "1"})
    assert tree == {"a": {"b": [1, 2], "c": "text"}}
