"""The token, the cookie, the Bearer header and the CSRF rule; secrets never on a page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from optionpilot.cli.main import app as cli
from optionpilot.core.errors import ConfigError
from optionpilot.web.security import COOKIE, TOKEN_ENV, Access, resolve_access

from .conftest import TOKEN

PAGES = ("/", "/positions", "/orders", "/decisions", "/strategies", "/runs", "/price", "/actions/kill")
APIS = ("/api/accounts", "/api/positions", "/api/orders", "/api/decisions")


def test_token_comes_from_the_flag_then_the_environment_else_is_generated() -> None:
    assert resolve_access("x" * 20, "127.0.0.1", {}).token == "x" * 20
    from_env = resolve_access(None, "127.0.0.1", {TOKEN_ENV: "y" * 20})
    assert (from_env.token, from_env.generated) == ("y" * 20, False)
    fresh = resolve_access(None, "::1", {})
    assert fresh.generated and len(fresh.token) >= 24
    assert fresh.token != resolve_access(None, "127.0.0.1", {}).token


def test_a_non_loopback_host_needs_an_explicit_token() -> None:
    with pytest.raises(ConfigError, match=r"--host 0\.0\.0\.0: not a loopback address"):
        resolve_access(None, "0.0.0.0", {})
    assert resolve_access(None, "0.0.0.0", {TOKEN_ENV: "z" * 20}).token == "z" * 20
    with pytest.raises(ConfigError, match="at least 16 characters"):
        resolve_access("short", "127.0.0.1", {})


def test_the_command_refuses_a_public_host_in_one_line(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    db = f"sqlite:///{tmp_path / 'x.sqlite'}"
    result = CliRunner().invoke(cli, ["dashboard", "--db", db, "--host", "0.0.0.0"])
    assert result.exit_code == 2  # the CLI's exit code for a refused input
    assert "not a loopback address" in result.output
    assert "Traceback" not in result.output


def test_every_page_needs_the_token_but_healthz(anonymous: TestClient) -> None:
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    for path in (*PAGES, "/static/htmx.min.js", "/events"):
        assert anonymous.get(path).status_code == 401, path
    assert anonymous.get("/?token=wrong-token-wrong-token").status_code == 401


def test_the_token_in_the_url_becomes_an_httponly_samesite_cookie(
    anonymous: TestClient, access: Access
) -> None:
    r = anonymous.get(f"/positions?show=all&token={TOKEN}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/positions?show=all"  # the token leaves the address bar
    cookie = r.headers["set-cookie"]
    assert f"{COOKIE}={access.cookie_value}" in cookie
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    assert TOKEN not in cookie
    anonymous.cookies.set(COOKIE, access.cookie_value)
    assert anonymous.get("/positions?show=all").status_code == 200


def test_the_api_wants_the_bearer_token(client: TestClient) -> None:
    for path in APIS:
        assert client.get(path).status_code == 401, path  # the page's cookie is not enough
        assert client.get(path, headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200, path
        assert isinstance(ok.json()["data"], list)


def test_every_post_needs_the_csrf_token(client: TestClient, access: Access) -> None:
    for path in ("/actions/kill", "/actions/close/pos-x"):
        assert client.post(path, data={"confirm": "yes"}).status_code == 403
        assert client.post(path, data={"confirm": "yes", "csrf": "forged"}).status_code == 403
    page = client.get("/actions/kill").text
    assert f'name="csrf" value="{access.csrf}"' in page


def test_no_page_shows_the_token_or_a_password(client: TestClient) -> None:
    for path in (*PAGES, "/runs?a=x&b=y"):
        body = client.get(path).text
        assert TOKEN not in body, path
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]


def test_a_port_in_use_is_one_line(tmp_path, monkeypatch) -> None:
    import socket

    monkeypatch.delenv(TOKEN_ENV, raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = f"sqlite:///{tmp_path / 'x.sqlite'}"
        result = CliRunner().invoke(cli, ["dashboard", "--db", db, "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port {port}: cannot listen there" in result.output
    assert "Traceback" not in result.output
