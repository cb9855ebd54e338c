"""The course secret: created private, read from env or file; seeds and tokens derived from it."""

from __future__ import annotations

import hashlib
import hmac
import stat

import pytest

from calcgrade.grader.course import secret as sc
from calcgrade.core.errors import UsageError

KEY = bytes(range(32))


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch, tmp_path):
    monkeypatch.delenv(sc.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def test_init_writes_32_random_bytes_readable_only_by_the_owner(tmp_path):
    path = sc.init_secret()
    assert path == tmp_path / "config" / "calcgrade" / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert len(bytes.fromhex(text.strip())) == 32
    assert sc.load_secret() == bytes.fromhex(text.strip())


def test_init_never_overwrites_without_force(tmp_path):
    path = sc.init_secret(tmp_path / "s")
    first = path.read_text()
    with pytest.raises(UsageError, match="already exists"):
        sc.init_secret(path)
    assert path.read_text() == first
    sc.init_secret(path, force=True)
    assert path.read_text() != first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_default_place_without_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert sc.default_secret_path() == tmp_path / ".config" / "calcgrade" / "secret"


def test_the_environment_overrides_the_default_file_but_not_an_explicit_one(monkeypatch, tmp_path):
    default = sc.init_secret()
    explicit = sc.init_secret(tmp_path / "s")
    monkeypatch.setenv(sc.ENV_VAR, KEY.hex())
    assert sc.load_secret() == KEY
    assert sc.load_secret(explicit) == bytes.fromhex(explicit.read_text().strip()) != KEY
    assert sc.load_secret(default) != KEY
    assert sc.secret_source() == f"${sc.ENV_VAR}"
    assert sc.secret_source(explicit) == f"--secret-file {explicit}"
    monkeypatch.delenv(sc.ENV_VAR)
    assert sc.secret_source() == str(default)


def test_an_explicit_file_that_is_missing_is_an_error_even_with_the_environment_set(monkeypatch, tmp_path):
    monkeypatch.setenv(sc.ENV_VAR, KEY.hex())
    with pytest.raises(UsageError, match="no course secret at .*nope"):
        sc.load_secret(tmp_path / "nope")


def test_a_missing_or_malformed_secret_says_how_to_fix_it(monkeypatch, tmp_path):
    with pytest.raises(UsageError, match="calcgrade init"):
        sc.load_secret()
    monkeypatch.setenv(sc.ENV_VAR, "short")
    with pytest.raises(UsageError, match=sc.ENV_VAR):
        sc.load_secret()


def test_seeds_are_hmac_sha256_of_assignment_student_and_slot():
    expected = int.from_bytes(hmac.new(KEY, b"hw1/ann01/2", hashlib.sha256).digest(), "big")
    assert sc.seed_for(KEY, "hw1", "ann01", "2") == expected
    redraw = int.from_bytes(hmac.new(KEY, b"hw1/ann01/2/1", hashlib.sha256).digest(), "big")
    assert sc.seed_for(KEY, "hw1", "ann01", "2", draw=1) == redraw


def test_seeds_differ_in_every_input():
    base = sc.seed_for(KEY, "hw1", "ann01", "1")
    others = [sc.seed_for(KEY, "hw2", "ann01", "1"), sc.seed_for(KEY, "hw1", "bob02", "1"),
              sc.seed_for(KEY, "hw1", "ann01", "2"), sc.seed_for(bytes(32), "hw1", "ann01", "1")]
    assert base not in others and len(set(others)) == 4


def test_tokens_verify_only_for_their_student_and_assignment():
    token = sc.token_for(KEY, "hw1", "ann01")
    assert len(token) == 64 and int(token, 16) >= 0
    assert token != hmac.new(KEY, b"hw1/ann01/token", hashlib.sha256).hexdigest()
    assert sc.verify_token(KEY, "hw1", "ann01", token)
    assert not sc.verify_token(KEY, "hw1", "bob02", token)
    assert not sc.verify_token(KEY, "hw2", "ann01", token)
    assert not sc.verify_token(bytes(32), "hw1", "ann01", token)
    assert not sc.verify_token(KEY, "hw1", "ann01", None)
