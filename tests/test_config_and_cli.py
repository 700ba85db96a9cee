"""Settings (each one documented), and the `geosvc` command as a person runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from geosvc.cli import main
from geosvc.config import PROJECT_ROOT, ConfigError, Settings, setting_names
from tests.test_ingest import digest


def test_every_setting_is_documented_in_the_readme():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = [name for name in setting_names() if f"`{name}`" not in readme]
    assert undocumented == []


def test_settings_come_from_the_environment_with_their_types():
    settings = Settings.from_env({"GEOSVC_POOL_SIZE": "9", "GEOSVC_STATEMENT_TIMEOUT_MS": "500"})
    assert settings.pool_size == 9 and settings.statement_timeout_ms == 500


@pytest.mark.parametrize("value", ["many", "-3", "0"])
def test_bad_setting_names_the_variable(value):
    with pytest.raises(ConfigError, match="GEOSVC_POOL_SIZE"):
        Settings.from_env({"GEOSVC_POOL_SIZE": value})


def test_cli_ingest_prints_a_summary(fresh_db):
    result = CliRunner().invoke(main, ["ingest"], env={"GEOSVC_DATABASE_URL": fresh_db})
    assert result.exit_code == 0, result.output
    assert "communes per department: 02 797, 59 647, 60 680, 62 887, 80 771 (total 3782)" in result.output
    assert "sites per location precision: address 95, commune 21 (total 116)" in result.output
    assert "sites per status: served 53, superseded 63 (total 116)" in result.output
    assert "geosvc:geosvc@" not in result.output  # no password in what is printed


def test_cli_ingest_error_names_file_line_field_and_exits_non_zero(fresh_db, data_copy):
    before = digest(fresh_db)
    sites = data_copy / "sites.csv"
    lines = sites.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",02400,Château-Thierry,02168,", ",02400,Château-Thierry,02999,")
    sites.write_text("".join(lines), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["ingest", "--data-dir", str(data_copy)], env={"GEOSVC_DATABASE_URL": fresh_db}
    )
    assert result.exit_code == 1
    assert "sites.csv: line 3: field 'insee': 02999 is not a commune" in result.output
    assert "nothing was loaded" in result.output
    assert digest(fresh_db) == before


def test_cli_bad_setting_is_a_usage_error():
    result = CliRunner().invoke(main, ["ingest"], env={"GEOSVC_POOL_SIZE": "lots"})
    assert result.exit_code == 2
    assert "GEOSVC_POOL_SIZE" in result.output


def test_ingest_script_is_a_thin_wrapper():
    result = subprocess.run(
        [sys.executable, "scripts/ingest.py", "--help"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "--geocode" in result.stdout


def test_db_setup_is_harmless_when_run_again():
    result = CliRunner().invoke(main, ["db", "setup"])
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
