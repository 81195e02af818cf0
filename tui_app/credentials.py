"""Where the signing key comes from, and how it is kept out of sight.

The mnemonic comes from `DYDX_MNEMONIC`, or from a file named by `DYDX_MNEMONIC_FILE` or
the config's `account.mnemonic_file`, never from the config file itself. A mnemonic file
must not be readable by group or others (as OpenSSH requires of a private key). On `local`
with no mnemonic, the devnet's public demo account (alice) signs.

The phrase lives only in a pydantic `SecretStr` (its repr is `'**********'`). Plain strings
holding it exist only inside small functions that never raise: Textual's crash report and
rich tracebacks print the local variables of every frame an exception passes through, and
an exception's message or `__context__` could carry it too.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, SecretStr

from tui_app.devnet.accounts import TEST_ACCOUNTS, address_from_public_key

log = logging.getLogger(__name__)

ENV_MNEMONIC = "DYDX_MNEMONIC"
ENV_MNEMONIC_FILE = "DYDX_MNEMONIC_FILE"
MNEMONIC_WORD_COUNTS = (12, 15, 18, 21, 24)
_MAX_SECRET_FILE_BYTES = 4096


class CredentialsError(Exception):
    """The key cannot be used; the message says why and never contains the key."""


class InsecureSecretFile(CredentialsError):
    """A mnemonic file that group or others may read (or that is not the user's)."""


class Credentials(BaseModel):
    """The account the app acts for, and the key that signs for it (if any)."""

    model_config = ConfigDict(frozen=True)

    address: str
    """The dydx1... address, derived from the mnemonic when there is one."""
    mnemonic: SecretStr | None = None
    """The BIP39 phrase; None in read-only mode. `.get_secret_value()` only where signing."""
    read_only: bool = False
    """True when there is no key: the app watches the account but cannot trade."""
    reason: str | None = None
    """Why the app is read-only, for the status line."""
    source: str
    """Where the key came from (an environment variable, a file, the devnet demo account)."""

    @property
    def can_trade(self) -> bool:
        return not self.read_only and self.mnemonic is not None


# --- reading -----------------------------------------------------------------------------


def check_secret_file_mode(path: Path, st: os.stat_result) -> None:
    """Refuse any group or other permission bits, like OpenSSH does for private keys."""
    if not stat.S_ISREG(st.st_mode):
        raise CredentialsError(f"mnemonic file '{path}' is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise InsecureSecretFile(
            f"permissions {mode:04o} for '{path}' are too open; expected 0600 "
            f"(run: chmod 600 '{path}'). A mnemonic file must be readable by you only."
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise InsecureSecretFile(
            f"mnemonic file '{path}' is owned by uid {st.st_uid}, not by you "
            f"(uid {os.getuid()})"
        )


def read_secret_file(path: Path) -> SecretStr:
    """The mnemonic in `path`, after checking the file's permissions."""
    try:
        # Check the mode of the file actually opened (fstat), not of a path that could be
        # swapped between a stat and an open.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise CredentialsError(f"mnemonic file '{path}' does not exist") from None
    except OSError as exc:
        raise CredentialsError(f"mnemonic file '{path}': {exc.strerror}") from None
    try:
        check_secret_file_mode(path, os.fstat(fd))
        secret = _read_fd(fd)
    finally:
        os.close(fd)
    if secret is None:
        raise CredentialsError(f"mnemonic file '{path}' is not UTF-8 text")
    return secret


def _read_fd(fd: int) -> SecretStr | None:
    # Never raises with the content in scope: a UnicodeDecodeError carries the bytes.
    try:
        data = os.read(fd, _MAX_SECRET_FILE_BYTES)
        text = data.decode("utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    return SecretStr(normalize_phrase(text))


def normalize_phrase(text: str) -> str:
    """One space between words, no surrounding blanks or trailing newline."""
    return " ".join(text.split())


# --- deriving the address ----------------------------------------------------------------


def derive_address(mnemonic: SecretStr) -> str:
    """The dydx1... address of a mnemonic (BIP44 path m/44'/118'/0'/0/0, as dYdX uses)."""
    public_key = _public_key(mnemonic)
    if public_key is None:
        raise CredentialsError(
            "the mnemonic is not a valid BIP39 phrase (a word is misspelt or missing, or the "
            "checksum is wrong)"
        )
    return address_from_public_key(public_key)


def _public_key(mnemonic: SecretStr) -> bytes | None:
    # Returns None rather than raising, so that no traceback holds the phrase (see top).
    try:
        # Imported here: bip_utils takes ~0.3 s to import, and read-only mode needs none.
        from dydx_v4_client.key_pair import KeyPair

        return KeyPair.from_mnemonic(mnemonic.get_secret_value()).public_key_bytes
    except Exception:
        return None


# --- resolving ---------------------------------------------------------------------------


def resolve_credentials(
    network: str,
    *,
    address: str | None,
    env_mnemonic: SecretStr | None,
    env_mnemonic_file: Path | None,
    config_mnemonic_file: Path | None,
) -> Credentials:
    """The credentials for `network`, from the first source that is given.

    Order: `DYDX_MNEMONIC`, `DYDX_MNEMONIC_FILE`, the config's `account.mnemonic_file`;
    then, on `local`, the devnet test account named by `address` (alice by default); else
    read-only for `address`. A derived address must equal `address` when both are given.
    """
    mnemonic: SecretStr | None = None
    source = ""
    if env_mnemonic is not None:
        mnemonic, source = env_mnemonic, f"environment variable {ENV_MNEMONIC}"
    elif env_mnemonic_file is not None:
        mnemonic = read_secret_file(env_mnemonic_file)
        source = f"file '{env_mnemonic_file}' ({ENV_MNEMONIC_FILE})"
    elif config_mnemonic_file is not None:
        mnemonic = read_secret_file(config_mnemonic_file)
        source = f"file '{config_mnemonic_file}' (account.mnemonic_file)"

    if mnemonic is not None:
        if not mnemonic.get_secret_value():
            raise CredentialsError(f"the mnemonic from {source} is empty")
        try:
            derived = derive_address(mnemonic)
        except CredentialsError as exc:
            raise CredentialsError(f"{source}: {exc}") from None
        if address is not None and address != derived:
            raise CredentialsError(
                f"the mnemonic from {source} belongs to {derived}, but account.address is "
                f"{address}; fix one of them"
            )
        log.info("signing as %s with the key from %s", derived, source)
        return Credentials(address=derived, mnemonic=mnemonic, source=source)

    if network == "local":
        # The devnet's accounts are public; their keys sign only on a local chain.
        wanted = address or TEST_ACCOUNTS[0].address
        for account in TEST_ACCOUNTS:
            if account.address == wanted:
                log.info("local network: signing as the devnet test account %s", account.name)
                return Credentials(
                    address=account.address,
                    mnemonic=SecretStr(account.mnemonic),
                    source=f"devnet test account {account.name}",
                )

    if address is None:
        raise CredentialsError(
            f"no account for network {network}: give a mnemonic ({ENV_MNEMONIC}, "
            f"{ENV_MNEMONIC_FILE} or account.mnemonic_file) to trade, or account.address "
            "to watch an account read-only"
        )
    reason = (
        f"no mnemonic given ({ENV_MNEMONIC}, {ENV_MNEMONIC_FILE} or account.mnemonic_file): "
        f"watching {address} read-only"
    )
    log.info("%s", reason)
    return Credentials(address=address, read_only=True, reason=reason, source="none")


# --- keeping secrets out of the config file ----------------------------------------------

# Key names that suggest a secret. `mnemonic_file` names a file, which is the right place.
_SECRET_KEY_MARKERS = ("mnemonic", "seed", "privatekey", "privkey", "secret", "passphrase",
                       "password")
_ALLOWED_KEYS = frozenset({"mnemonic_file"})
_HEX_KEY = re.compile(r"(0x)?[0-9a-fA-F]{64}")


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def display_key(key: object) -> str:
    """A key as error messages may show it: plain names as they are, anything else hidden.

    A "key" with spaces may be a pasted phrase; messages never quote one.
    """
    text = str(key)
    return text if _PLAIN_KEY.fullmatch(text) else "<a key with spaces or symbols>"


@lru_cache(maxsize=1)
def bip39_words() -> frozenset[str]:
    """The BIP39 English word list, read from bip_utils' data file without importing it."""
    spec = importlib.util.find_spec("bip_utils")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    wordlist = Path(next(iter(spec.submodule_search_locations))) / "bip/bip39/wordlist/english.txt"
    try:
        return frozenset(wordlist.read_text(encoding="utf-8").split())
    except OSError:
        return frozenset()


def looks_like_mnemonic(text: str) -> bool:
    """Twelve or more words that are nearly all BIP39 words (a typo does not hide it)."""
    words = text.lower().split()
    if len(words) < MNEMONIC_WORD_COUNTS[0]:
        return False
    known = bip39_words()
    if not known:  # no word list: fall back to the shape of a phrase
        return all(w.isalpha() and 3 <= len(w) <= 8 for w in words)
    hits = sum(word in known for word in words)
    return hits >= max(MNEMONIC_WORD_COUNTS[0] - 1, 0.75 * len(words))


def looks_like_secret_key_name(key: str) -> bool:
    if key.lower() in _ALLOWED_KEYS:
        return False
    squashed = re.sub(r"[^a-z]", "", key.lower())
    return any(marker in squashed for marker in _SECRET_KEY_MARKERS)


def find_secrets(data: object, path: str = "") -> Iterator[tuple[str, str]]:
    """(key path, reason) for every key or value in parsed YAML that looks like a secret.

    The reasons never quote the value.
    """
    if isinstance(data, Mapping):
        for key, value in data.items():
            key_text = str(key)
            shown = display_key(key_text)
            here = f"{path}.{shown}" if path else shown
            if looks_like_secret_key_name(key_text):
                yield here, (
                    "the config file may not hold a mnemonic or private key; put it in a "
                    f"file readable by you only (chmod 600) and name that file in "
                    f"account.mnemonic_file, or use {ENV_MNEMONIC}/{ENV_MNEMONIC_FILE}"
                )
            elif isinstance(key, str) and looks_like_mnemonic(key):
                yield path or "<top level>", "a key looks like a mnemonic phrase"
            else:
                yield from find_secrets(value, here)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from find_secrets(item, f"{path}[{index}]")
    elif isinstance(data, str):
        if looks_like_mnemonic(data):
            yield path, (
                "this value looks like a mnemonic phrase; the config file may not hold one "
                f"(use account.mnemonic_file, {ENV_MNEMONIC} or {ENV_MNEMONIC_FILE})"
            )
        elif _HEX_KEY.fullmatch(data.strip()):
            yield path, "this value looks like a private key; the config file may not hold one"
