"""The config file: where it is found, what it may say, and how its errors read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from pydantic import BaseModel

from tui_app.config import (
    ENV_CONFIG,
    ConfigError,
    FeedSettings,
    Settings,
    find_config_file,
    load_config,
    load_settings,
    parse_settings,
)

REPO = Path(__file__).resolve().parents[2]


def error_of(text: str, source: str = "config.yaml") -> str:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, source)
    return str(caught.value)


# --- finding the file --------------------------------------------------------------------


def test_no_file_anywhere_means_defaults_on_local():
    assert find_config_file(None, {}) is None
    resolved = load_config(environ={})
    assert resolved.network == "local"
    assert resolved.chain_id == "localdydxprotocol"
    assert resolved.paths.config_file is None


def test_xdg_file_is_used_when_present(isolated_environment: Path):
    xdg = isolated_environment / "config" / "dydx-tui" / "config.yaml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("log_level: debug\n")
    assert find_config_file(None, {}) == xdg
    assert load_config(environ={}).settings.log_level == "DEBUG"


def test_cli_path_beats_env_which_beats_xdg(tmp_path: Path, isolated_environment: Path):
    xdg = isolated_environment / "config" / "dydx-tui" / "config.yaml"
    xdg.parent.mkdir(parents=True)
    xdg.write_text("")
    from_env = tmp_path / "env.yaml"
    from_env.write_text("")
    from_cli = tmp_path / "cli.yaml"
    from_cli.write_text("")
    assert find_config_file(from_cli, {ENV_CONFIG: str(from_env)}) == from_cli
    assert find_config_file(None, {ENV_CONFIG: str(from_env)}) == from_env
    assert find_config_file(None, {ENV_CONFIG: ""}) == xdg


@pytest.mark.parametrize("origin", ["--config", ENV_CONFIG])
def test_an_explicit_file_must_exist(tmp_path: Path, origin: str):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as caught:
        if origin == "--config":
            find_config_file(missing, {})
        else:
            find_config_file(None, {ENV_CONFIG: str(missing)})
    assert str(missing) in str(caught.value)
    assert origin in str(caught.value)


def test_load_config_reads_the_env_named_file(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("trading:\n  short_term_blocks: 7\n")
    resolved = load_config(environ={ENV_CONFIG: str(path)})
    assert resolved.settings.trading.short_term_blocks == 7
    assert resolved.paths.config_file == path


# --- the schema --------------------------------------------------------------------------


def test_the_example_file_is_valid_and_matches_the_defaults():
    settings = load_settings(REPO / "config.example.yaml")
    assert settings == Settings()


def _models(model: type[BaseModel]):
    yield model
    for field in model.model_fields.values():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from _models(field.annotation)


def _field_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """The string that follows each annotated field in the class body (as PEP 257 and
    pydantic's use_attribute_docstrings read them), from the source."""
    import ast
    import inspect
    import textwrap

    body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0].body
    docs = {}
    for statement, following in zip(body, body[1:], strict=False):
        if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)):  # fmt: skip
            docs[statement.target.id] = following.value.value.strip()
    return docs


def test_every_field_is_documented():
    for model in _models(Settings):
        docs = _field_docstrings(model)
        for name in model.model_fields:
            assert docs.get(name), f"{model.__name__}.{name} has no docstring"


def test_defaults():
    settings = Settings()
    assert settings.network == "local"
    assert settings.trading.short_term_blocks == 10
    assert settings.trading.long_term_seconds == 30 * 24 * 3600
    assert settings.feed.max_frame_bytes >= 1024 * 1024
    assert settings.account.subaccount_number == 0


def test_frame_limit_fits_a_snapshot_with_1000_open_orders():
    # One open order as the indexer sends it, compact JSON, ~600 bytes; 1,000 of them plus
    # the rest of the subaccount snapshot must fit.
    samples = REPO / "tests/fixtures/indexer_samples"
    sample = samples / "v4_subaccounts_channel_data_order_open_long_term.json"

    order = json.loads(sample.read_text())["contents"]["orders"][0]
    one_order = len(json.dumps(order, separators=(",", ":")))
    assert FeedSettings().max_frame_bytes > 1000 * one_order * 2


def test_a_full_file_parses():
    settings = parse_settings(
        """
network: testnet
endpoints:
  rest_url: https://indexer.example.org/
  ws_url: wss://indexer.example.org/v4/ws
  grpc_addr: grpc.example.org:443
  grpc_tls: true
account:
  address: dydx199tqg4wdlnu4qjlxchpd7seg454937hjrknju4
  subaccount_number: 3
trading: {short_term_blocks: 20, long_term_seconds: 3600, cancel_rate_limit: 2.5}
feed: {reconnect_min_seconds: 1, reconnect_max_seconds: 60, max_frame_bytes: 16777216}
keys: {cancel_order: x, quit: "q,ctrl+c"}
log_level: warning
""",
        "config.yaml",
    )
    assert settings.endpoints.rest_url == "https://indexer.example.org"  # trailing / dropped
    assert settings.account.subaccount_number == 3
    assert settings.keys == {"cancel_order": "x", "quit": "q,ctrl+c"}
    assert settings.log_level == "WARNING"


def test_relative_mnemonic_file_is_relative_to_the_config_file(tmp_path: Path):
    path = tmp_path / "conf" / "config.yaml"
    path.parent.mkdir()
    path.write_text("account:\n  mnemonic_file: secret/words\n")
    assert load_settings(path).account.mnemonic_file == tmp_path / "conf" / "secret" / "words"


def test_empty_or_comment_only_file_means_defaults():
    assert parse_settings("", "c.yaml") == Settings()
    assert parse_settings("# nothing\n", "c.yaml") == Settings()


# --- error messages name the file and the key --------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("endpoints:\n  rest_url: ftp://x\n", "endpoints.rest_url", "not a valid URL"),
        ("endpoints:\n  rest_url: http://x/v4\n", "endpoints.rest_url", "without /v4"),
        ("endpoints:\n  ws_url: http://x\n", "endpoints.ws_url", "ws://"),
        ("endpoints:\n  grpc_addr: https://x:443\n", "endpoints.grpc_addr", "host:port"),
        ("endpoints:\n  grpc_addr: x:99999\n", "endpoints.grpc_addr", "host:port"),
        ("endpoints:\n  rest_url: 3002\n", "endpoints.rest_url", "valid string"),
        ("endpoints:\n  rest_ur: http://x\n", "endpoints.rest_ur", "did you mean 'rest_url'"),
        ("colour: red\n", "colour", "unknown key"),
        ("network: devnet\n", "network", "'local', 'testnet' or 'mainnet'"),
        ("network: no\n", "network", "'local', 'testnet' or 'mainnet'"),  # YAML 1.1 bool
        ("account:\n  subaccount_number: yes\n", "account.subaccount_number", "integer"),
        ("account:\n  subaccount_number: '1'\n", "account.subaccount_number", "integer"),
        ("account:\n  subaccount_number: -1\n", "account.subaccount_number", "greater"),
        ("account:\n  address: dydx1abc\n", "account.address", "not a dYdX address"),
        ("trading:\n  short_term_blocks: 21\n", "trading.short_term_blocks", "less than"),
        ("trading:\n  long_term_seconds: 9999999999\n", "trading.long_term_seconds", "less"),
        ("trading:\n  cancel_rate_limit: 0\n", "trading.cancel_rate_limit", "greater than"),
        ("feed:\n  silence_timeout_seconds: .nan\n", "feed.silence_timeout_seconds", "finite"),
        ("feed:\n  poll_interval_seconds: .inf\n", "feed.poll_interval_seconds", "finite"),
        ("feed:\n  max_frame_bytes: 1000\n", "feed.max_frame_bytes", "greater than"),
        ("feed:\n  reconnect_min_seconds: 99\n", "feed", "must not exceed"),
        ("feed: 5\n", "feed", "must be a section"),
        ("keys:\n  quit: q\n  cancel_order: q\n", "keys", "bound to both"),
        ("keys:\n  Quit: q\n", "keys", "not an action id"),
        ("keys:\n  quit: 'ctrl c'\n", "keys", "not a key"),
        ("log_level: LOUD\n", "log_level", "DEBUG"),
    ],
)
def test_errors_name_file_and_key(text: str, key: str, reason: str):
    message = error_of(text, "/etc/x/config.yaml")
    assert message.startswith(f"/etc/x/config.yaml: {key}: "), message
    assert reason in message


def test_errors_from_a_file_name_its_path(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_text("endpoints:\n  rest_url: nonsense\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (
        f"{path}: endpoints.rest_url: not a valid URL; expected http:// or https://host[:port]"
    )
    assert caught.value.problems == [
        ("endpoints.rest_url", "not a valid URL; expected http:// or https://host[:port]")
    ]


def test_all_problems_are_listed():
    message = error_of("colour: red\nnetwork: moon\n")
    assert "config.yaml: colour: unknown key" in message
    assert "config.yaml: network:" in message


def test_bad_yaml_names_the_line():
    message = error_of("network: local\nendpoints: [1,\n", "c.yaml")
    assert message.startswith("c.yaml: line 3, column 1: invalid YAML")


def test_a_key_given_twice_is_an_error():
    message = error_of("network: local\nnetwork: testnet\n", "c.yaml")
    assert "line 2" in message and "key network appears twice" in message


def test_top_level_must_be_a_mapping():
    assert "top level must be a mapping" in error_of("- a\n- b\n")


def test_unsafe_yaml_tags_are_refused():
    assert "invalid YAML" in error_of("network: !!python/object/apply:os.system ['true']\n")


def test_deep_nesting_is_an_error_not_a_crash():
    assert "nested too deeply" in error_of("a: " + "[" * 5_000)


def test_a_binary_file_is_an_error(tmp_path: Path):
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xff\xfe\x00network")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_settings(path)


# --- any input: a ConfigError or settings, nothing else ----------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
_keys = st.sampled_from(
    ["network", "endpoints", "account", "trading", "feed", "keys", "log_level", "rest_url",
     "ws_url", "grpc_addr", "address", "subaccount_number", "short_term_blocks", "quit",
     "max_frame_bytes", "mnemonic_file", "x"]
) | st.text(max_size=10)
_documents = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=20,
)


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_any_document_gives_settings_or_a_config_error(document: object):
    text = yaml.safe_dump(document)
    try:
        parse_settings(text, "fuzz.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.yaml: ")


@hypothesis_settings(max_examples=300)
@given(st.text(max_size=200))
def test_any_text_gives_settings_or_a_config_error(text: str):
    try:
        parse_settings(text, "fuzz.yaml")
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.yaml: ")
