"""The key: its sources, the file permission rule, read-only mode, the demo account."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.config.helpers import MARKER_ADDRESS, MARKER_MNEMONIC, MARKER_WORDS, write_private
from tui_app.config import ENV_MNEMONIC, ENV_MNEMONIC_FILE, ConfigError, load_config, parse_settings
from tui_app.credentials import (
    CredentialsError,
    InsecureSecretFile,
    looks_like_mnemonic,
    read_secret_file,
)
from tui_app.devnet.accounts import ALICE, BOB


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


# --- sources -----------------------------------------------------------------------------


def test_mnemonic_from_the_environment_derives_the_address(tmp_path: Path):
    path = config_file(tmp_path, "network: testnet\n")
    resolved = load_config(path, environ={ENV_MNEMONIC: MARKER_MNEMONIC})
    assert resolved.address == MARKER_ADDRESS
    assert resolved.credentials.mnemonic is not None
    assert resolved.credentials.mnemonic.get_secret_value() == MARKER_MNEMONIC
    assert resolved.credentials.can_trade and not resolved.read_only
    assert ENV_MNEMONIC in resolved.credentials.source


def test_whitespace_in_the_phrase_is_normalized():
    messy = "  " + "\n".join(MARKER_WORDS[:12]) + "\t" + "  ".join(MARKER_WORDS[12:]) + "\n"
    resolved = load_config(environ={ENV_MNEMONIC: messy})
    assert resolved.address == MARKER_ADDRESS


def test_mnemonic_file_0600_is_accepted(tmp_path: Path):
    secret = write_private(tmp_path / "mnemonic", MARKER_MNEMONIC + "\n")
    resolved = load_config(environ={ENV_MNEMONIC_FILE: str(secret)})
    assert resolved.address == MARKER_ADDRESS
    assert str(secret) in resolved.credentials.source


def test_mnemonic_file_0400_is_accepted(tmp_path: Path):
    secret = write_private(tmp_path / "mnemonic", MARKER_MNEMONIC, mode=0o400)
    assert load_config(environ={ENV_MNEMONIC_FILE: str(secret)}).address == MARKER_ADDRESS


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o601, 0o610, 0o777])
def test_wider_permissions_are_refused_naming_the_mode(tmp_path: Path, mode: int):
    secret = write_private(tmp_path / "mnemonic", MARKER_MNEMONIC, mode=mode)
    with pytest.raises(InsecureSecretFile) as caught:
        load_config(environ={ENV_MNEMONIC_FILE: str(secret)})
    assert str(caught.value).startswith(
        f"permissions {mode:04o} for '{secret}' are too open; expected 0600"
    )


def test_config_mnemonic_file_is_checked_too(tmp_path: Path):
    secret = write_private(tmp_path / "words", MARKER_MNEMONIC, mode=0o644)
    path = config_file(tmp_path, "account:\n  mnemonic_file: words\n")
    with pytest.raises(InsecureSecretFile, match="permissions 0644"):
        load_config(path, environ={})
    secret.chmod(0o600)
    resolved = load_config(path, environ={})
    assert resolved.address == MARKER_ADDRESS
    assert "account.mnemonic_file" in resolved.credentials.source


def test_missing_or_odd_mnemonic_files(tmp_path: Path):
    with pytest.raises(CredentialsError, match="does not exist"):
        read_secret_file(tmp_path / "absent")
    with pytest.raises(CredentialsError, match="not a regular file"):
        directory = tmp_path / "dir"
        directory.mkdir(mode=0o700)
        read_secret_file(directory)
    binary = write_private(tmp_path / "binary", "")
    binary.write_bytes(b"\xff\xfe" + MARKER_MNEMONIC.encode())
    with pytest.raises(CredentialsError, match="not UTF-8"):
        read_secret_file(binary)


def test_a_symlink_is_judged_by_its_target(tmp_path: Path):
    target = write_private(tmp_path / "target", MARKER_MNEMONIC, mode=0o644)
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(InsecureSecretFile, match="0644"):
        read_secret_file(link)


def test_source_order_env_then_env_file_then_config_file(tmp_path: Path):
    env_file = write_private(tmp_path / "env-file", BOB.mnemonic)
    conf_file = write_private(tmp_path / "conf-file", ALICE.mnemonic)
    path = config_file(tmp_path, f"network: testnet\naccount:\n  mnemonic_file: {conf_file}\n")

    everything = {ENV_MNEMONIC: MARKER_MNEMONIC, ENV_MNEMONIC_FILE: str(env_file)}
    assert load_config(path, environ=everything).address == MARKER_ADDRESS
    assert load_config(path, environ={ENV_MNEMONIC_FILE: str(env_file)}).address == BOB.address
    assert load_config(path, environ={}).address == ALICE.address


def test_address_must_match_the_mnemonic(tmp_path: Path):
    path = config_file(tmp_path, f"network: testnet\naccount:\n  address: {BOB.address}\n")
    with pytest.raises(CredentialsError) as caught:
        load_config(path, environ={ENV_MNEMONIC: MARKER_MNEMONIC})
    assert MARKER_ADDRESS in str(caught.value) and BOB.address in str(caught.value)

    same = config_file(tmp_path, f"network: testnet\naccount:\n  address: {MARKER_ADDRESS}\n")
    assert load_config(same, environ={ENV_MNEMONIC: MARKER_MNEMONIC}).address == MARKER_ADDRESS


@pytest.mark.parametrize(
    "phrase",
    [
        " ".join(MARKER_WORDS[:-1] + [MARKER_WORDS[0]]),  # checksum wrong (most likely)
        " ".join(MARKER_WORDS[:-1] + ["notaword"]),
        " ".join(MARKER_WORDS[:11]),
        "hello",
    ],
)
def test_an_invalid_phrase_is_refused(phrase: str):
    if phrase.split()[-1] == MARKER_WORDS[0] and _valid(phrase):
        pytest.skip("the swapped last word happens to satisfy the checksum")
    with pytest.raises(CredentialsError, match="not a valid BIP39 phrase"):
        load_config(environ={ENV_MNEMONIC: phrase})


def _valid(phrase: str) -> bool:
    from bip_utils import Bip39MnemonicValidator

    return Bip39MnemonicValidator().IsValid(phrase)


# --- without a mnemonic ------------------------------------------------------------------


def test_local_without_mnemonic_uses_the_demo_account_alice():
    resolved = load_config(environ={})
    assert resolved.address == ALICE.address
    assert resolved.credentials.can_trade
    assert "alice" in resolved.credentials.source


def test_local_with_a_test_account_address_uses_its_public_key(tmp_path: Path):
    path = config_file(tmp_path, f"account:\n  address: {BOB.address}\n")
    resolved = load_config(path, environ={})
    assert resolved.address == BOB.address and resolved.credentials.can_trade


def test_local_with_another_address_is_read_only(tmp_path: Path):
    path = config_file(tmp_path, f"account:\n  address: {MARKER_ADDRESS}\n")
    resolved = load_config(path, environ={})
    assert resolved.read_only and resolved.credentials.mnemonic is None


@pytest.mark.parametrize("network", ["testnet", "mainnet"])
def test_remote_network_with_address_only_is_read_only(tmp_path: Path, network: str):
    path = config_file(tmp_path, f"account:\n  address: {MARKER_ADDRESS}\n")
    resolved = load_config(path, cli_network=network, environ={})
    assert resolved.read_only
    assert resolved.credentials.reason and "read-only" in resolved.credentials.reason
    assert resolved.address == MARKER_ADDRESS
    assert not resolved.credentials.can_trade


def test_remote_network_needs_an_address_or_a_key():
    with pytest.raises(CredentialsError, match="no account for network testnet"):
        load_config(cli_network="testnet", environ={})


def test_the_demo_account_is_never_used_off_local():
    with pytest.raises(CredentialsError):
        load_config(cli_network="mainnet", environ={})


# --- the config file cannot hold a secret ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("mnemonic: abc\n", "mnemonic"),
        ("account:\n  mnemonic: abc\n", "account.mnemonic"),
        ("account:\n  seed_phrase: abc\n", "account.seed_phrase"),
        ("account:\n  private_key: abc\n", "account.private_key"),
        ("privateKey: abc\n", "privateKey"),
        ("account:\n  secret: abc\n", "account.secret"),
        ("account:\n  passphrase: abc\n", "account.passphrase"),
    ],
)
def test_secret_like_keys_are_refused_with_the_reason(text: str, key: str):
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "config.yaml")
    message = str(caught.value)
    assert message.startswith(f"config.yaml: {key}: the config file may not hold a mnemonic")
    assert "mnemonic_file" in message


@pytest.mark.parametrize(
    "text",
    [
        f"account:\n  address: {MARKER_MNEMONIC}\n",
        f"keys:\n  quit: '{MARKER_MNEMONIC}'\n",
        f"note: {' '.join(MARKER_WORDS[:12])}\n",  # 12 words, unknown key
        f"x: '{' '.join(MARKER_WORDS[:23] + ['typo'])}'\n",  # one word misspelt
        f"list:\n  - {MARKER_MNEMONIC}\n",
        f"{MARKER_MNEMONIC}: 1\n",
    ],
)
def test_a_phrase_anywhere_in_the_file_is_refused(text: str):
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "config.yaml")
    assert "looks like a mnemonic" in str(caught.value)


def test_a_hex_private_key_value_is_refused():
    with pytest.raises(ConfigError, match="looks like a private key"):
        parse_settings("x: " + "ab" * 32 + "\n", "config.yaml")


def test_mnemonic_file_key_and_ordinary_values_are_fine():
    assert not looks_like_mnemonic("the quick brown fox")
    assert not looks_like_mnemonic("https://indexer.v4testnet.dydx.exchange")
    assert looks_like_mnemonic(MARKER_MNEMONIC)
    assert looks_like_mnemonic(" ".join(MARKER_WORDS[:12]).upper())
    parse_settings("account:\n  mnemonic_file: ~/.config/dydx-tui/mnemonic\n", "c.yaml")
