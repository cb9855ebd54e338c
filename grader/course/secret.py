"""The course secret: where it lives, how it is made, and what is derived from it.

``calcgrade init`` writes 32 random bytes, as 64 hex digits, to
``$XDG_CONFIG_HOME/calcgrade/secret`` (or ``~/.config/calcgrade/secret``) with file mode
0600; ``--secret-file`` chooses another place. The environment variable
``CALCGRADE_SECRET`` (the same hex text) is how CI passes it: it replaces the file at the
default place, but an explicit ``--secret-file`` wins over it (what is named on the
command line is what is used).

Everything a student's variant depends on is an HMAC-SHA256 under that secret (DESIGN §3):

- the seed of a problem slot: HMAC of ``"<assignment>/<student>/<slot>"`` read as a
  big-endian integer (``/<draw>`` is appended for the rare re-draw that keeps two
  students of one class from sharing a variant, see :mod:`calcgrade.grader.course.variants`);
- the notebook token: HMAC of ``"token/<assignment>/<student>"`` in hex;
- the token of a notebook's draw numbers: HMAC of ``"draws/"`` followed by the JSON list
  ``[assignment, student, draw numbers, params check]`` in hex, so that the draw numbers a
  notebook carries count only as generated (see :mod:`calcgrade.grader.course.variants`).

>>> key = bytes(range(32))
>>> seed_for(key, "hw1", "ann", "1") == seed_for(key, "hw1", "ann", "1")
True
>>> seed_for(key, "hw1", "ann", "1") != seed_for(key, "hw1", "bob", "1")
True
>>> verify_token(key, "hw1", "ann", token_for(key, "hw1", "ann"))
True
>>> verify_token(key, "hw1", "bob", token_for(key, "hw1", "ann"))
False
>>> signed = draws_token_for(key, "hw1", "ann", [0, None, 1], "ab12")
>>> verify_draws_token(key, "hw1", "ann", [0, None, 1], "ab12", signed)
True
>>> verify_draws_token(key, "hw1", "ann", [0, None, 2], "ab12", signed)
False
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from calcgrade.core.errors import UsageError

ENV_VAR = "CALCGRADE_SECRET"
SECRET_BYTES = 32
MIN_SECRET_BYTES = 16


def default_secret_path() -> Path:
    """``$XDG_CONFIG_HOME/calcgrade/secret``, else ``~/.config/calcgrade/secret``."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "calcgrade" / "secret"


def init_secret(path: str | os.PathLike | None = None, *, force: bool = False) -> Path:
    """Write a new random secret (mode 0600) and return where; never overwrite silently."""
    target = Path(path) if path is not None else default_secret_path()
    if target.exists() and not force:
        raise UsageError(f"a course secret already exists at {target}; every student's variant "
                         "depends on it, so keep it (or pass --force to replace it)")
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_bytes(SECRET_BYTES).hex() + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except OSError as error:
        raise UsageError(f"cannot write the course secret to {target}: {error.strerror}") from None
    return target


def parse_secret(text: str, source: str) -> bytes:
    """The key bytes from hex text (as written by ``calcgrade init``)."""
    cleaned = text.strip()
    try:
        key = bytes.fromhex(cleaned)
    except ValueError:
        key = b""
    if len(key) < MIN_SECRET_BYTES:
        raise UsageError(f"{source} must hold the hex digits written by 'calcgrade init' "
                         f"(at least {2 * MIN_SECRET_BYTES} hex digits); run 'calcgrade init' "
                         "to make a new secret")
    return key


def load_secret(path: str | os.PathLike | None = None) -> bytes:
    """The course secret: the file at ``path`` when one is given, else ``$CALCGRADE_SECRET``
    if set, else the file at the default place."""
    from_env = os.environ.get(ENV_VAR)
    if from_env and path is None:
        return parse_secret(from_env, ENV_VAR)
    target = Path(path) if path is not None else default_secret_path()
    try:
        text = target.read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        command = "calcgrade init" + (f" --secret-file {target}" if path is not None else "")
        raise UsageError(f"no course secret at {target}: run '{command}' to create one, "
                         f"or set {ENV_VAR}") from None
    except OSError as error:
        raise UsageError(f"cannot read the course secret {target}: {error.strerror}") from None
    return parse_secret(text, str(target))


def secret_source(path: str | os.PathLike | None = None) -> str:
    """Where :func:`load_secret` takes the secret from, in words for a message.

    >>> secret_source("course/secret")
    '--secret-file course/secret'
    """
    if path is not None:
        return f"--secret-file {path}"
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}"
    return str(default_secret_path())


def _mac(secret: bytes, message: str) -> bytes:
    return hmac.new(secret, message.encode("utf-8"), hashlib.sha256).digest()


def seed_for(secret: bytes, assignment: str, student: str, slot: str, draw: int = 0) -> int:
    """The seed of one problem slot of one student (``draw`` > 0 only for re-draws)."""
    message = f"{assignment}/{student}/{slot}" + (f"/{draw}" if draw else "")
    return int.from_bytes(_mac(secret, message), "big")


def token_for(secret: bytes, assignment: str, student: str) -> str:
    """The notebook token that ties a notebook to its student, in hex."""
    return _mac(secret, f"token/{assignment}/{student}").hex()


def verify_token(secret: bytes, assignment: str, student: str, token: str) -> bool:
    """Whether ``token`` is the one issued to this student for this assignment."""
    if not isinstance(token, str):
        return False
    return hmac.compare_digest(token_for(secret, assignment, student), token)


def draws_token_for(secret: bytes, assignment: str, student: str, numbers: list,
                    check: str) -> str:
    """The token that signs one student's draw numbers and params check, in hex."""
    message = json.dumps([assignment, student, numbers, check], separators=(",", ":"))
    return _mac(secret, "draws/" + message).hex()


def verify_draws_token(secret: bytes, assignment: str, student: str, numbers, check,
                       token) -> bool:
    """Whether ``token`` signs these draw numbers and check for this student and assignment
    (False for anything that is not what generation writes)."""
    if not (isinstance(token, str) and isinstance(check, str) and isinstance(numbers, list)
            and all(n is None or (type(n) is int) for n in numbers)):
        return False
    return hmac.compare_digest(draws_token_for(secret, assignment, student, numbers, check), token)


def secret_check(secret: bytes) -> str:
    """A short public fingerprint that tells whether two runs used the same secret."""
    return _mac(secret, "calcgrade/secret-check").hex()[:16]
