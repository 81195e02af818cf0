"""Settings: the YAML config file, the environment, and the one resolved object the app uses.

Sources, strongest first:
1. the command line (`--network`, `--config`);
2. the environment: `DYDX_REST_URL`, `DYDX_WS_URL`, `DYDX_GRPC_ADDR` (endpoints),
   `DYDX_MNEMONIC` / `DYDX_MNEMONIC_FILE` (the key), `DYDX_TUI_CONFIG` (the file);
3. the config file: `--config PATH`, else `$DYDX_TUI_CONFIG`, else
   `$XDG_CONFIG_HOME/dydx-tui/config.yaml` if it exists;
4. defaults: network `local`, never mainnet.

Every problem raises `ConfigError`, whose message names the file and the key path
(`config.yaml: endpoints.rest_url: not a valid URL ...`) and never quotes a value (it might
be a secret pasted in the wrong place). Startup refusals about the network and the key are
`tui_app.networks.NetworkRefused` and `tui_app.credentials.CredentialsError`; `STARTUP_ERRORS`
holds all three for the command line to catch.
"""

from __future__ import annotations

import argparse
import difflib
import logging
import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from tui_app import locations
from tui_app.credentials import (
    ENV_MNEMONIC,
    ENV_MNEMONIC_FILE,
    Credentials,
    CredentialsError,
    display_key,
    find_secrets,
    resolve_credentials,
)
from tui_app.devnet.accounts import is_valid_address
from tui_app.networks import (
    NETWORK_NAMES,
    NetworkName,
    NetworkRefused,
    check_local_endpoint,
    grpc_host,
    make_node_config,
    network_spec,
    require_mainnet_ack,
    resolve_network,
    url_host,
)

log = logging.getLogger(__name__)

ENV_CONFIG = "DYDX_TUI_CONFIG"
ENV_REST_URL = "DYDX_REST_URL"
ENV_WS_URL = "DYDX_WS_URL"
ENV_GRPC_ADDR = "DYDX_GRPC_ADDR"
CONFIG_FILE_NAME = "config.yaml"

DAY = 24 * 3600
# The chain keeps a stateful (long-term) order at most 95 days (StatefulOrderTimeWindow).
MAX_LONG_TERM_SECONDS = 95 * DAY
# Short-term orders must expire within the short block window: 20 blocks in dydx_v4_client
# and protocol < 9.5, 40 since. Staying within 20 is valid on both.
MAX_SHORT_TERM_BLOCKS = 20
MIB = 1024 * 1024


class ConfigError(Exception):
    """A config file or setting the app cannot use.

    `problems` lists (key path, reason) pairs; `source` is the file or environment variable.
    """

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = [
            f"{source}: {key}: {reason}" if key else f"{source}: {reason}"
            for key, reason in problems
        ]
        super().__init__("\n".join(lines))


STARTUP_ERRORS: tuple[type[Exception], ...] = (ConfigError, NetworkRefused, CredentialsError)


# --- value checks (shared by the file and the environment) -------------------------------


def check_http_url(value: str) -> str:
    return _check_url(value, ("http", "https"), rest=True)


def check_ws_url(value: str) -> str:
    return _check_url(value, ("ws", "wss"), rest=False)


def _check_url(value: str, schemes: tuple[str, ...], rest: bool) -> str:
    expected = f"expected {' or '.join(s + '://' for s in schemes)}host[:port]"
    value = value.strip()
    if not value.isascii() or any(c.isspace() or not c.isprintable() for c in value):
        raise ValueError(f"not a valid URL (spaces or non-ASCII characters); {expected}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise ValueError(f"not a valid URL; {expected}") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise ValueError(f"not a valid URL; {expected}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("no user, query or fragment allowed in this URL")
    url = parts.geturl()
    if rest:
        url = url.rstrip("/")
        # IndexerClient adds /v4/... itself; a base ending in /v4 would double it.
        if url.endswith("/v4"):
            raise ValueError("give the indexer's base URL without /v4 (the client adds it)")
    return url


_GRPC_ADDR = re.compile(r"(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(?P<port>[0-9]{1,5})")


def check_grpc_addr(value: str) -> str:
    value = value.strip()
    match = _GRPC_ADDR.fullmatch(value)
    if match is None or not 0 < int(match["port"]) <= 65535:
        raise ValueError(
            "not a gRPC address; expected host:port without a scheme, e.g. 127.0.0.1:9090"
        )
    return value


def _check_address(value: str) -> str:
    if not is_valid_address(value):
        raise ValueError("not a dYdX address (dydx1... bech32)")
    return value


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


Seconds = Annotated[float, Field(gt=0, le=DAY, allow_inf_nan=False)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
WsUrl = Annotated[str, AfterValidator(check_ws_url)]
GrpcAddr = Annotated[str, AfterValidator(check_grpc_addr)]

_ACTION_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*")
_KEYS = re.compile(r"[^\s,]+(,[^\s,]+)*")


# --- the settings ------------------------------------------------------------------------


class _Section(BaseModel):
    # strict: YAML already gives real types, so `subaccount_number: yes` (a bool) or
    # `rest_url: 3002` (an int) is a mistake to report, not a value to coerce. The fields'
    # docstrings are for readers (tests/config check there is one): pydantic's
    # use_attribute_docstrings would re-read and tokenize this file at every start.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class EndpointSettings(_Section):
    """Overrides of the network's default endpoints.

    They apply only when the file's `network` is the one in use, so that endpoints written
    for one network never reach another chosen with `--network`.
    """

    rest_url: HttpUrl | None = None
    """Indexer REST base URL, without /v4 (e.g. http://127.0.0.1:3002)."""
    ws_url: WsUrl | None = None
    """Indexer WebSocket URL (e.g. ws://127.0.0.1:3003/v4/ws)."""
    grpc_addr: GrpcAddr | None = None
    """Validator/full-node gRPC address as host:port, no scheme (e.g. 127.0.0.1:9090)."""
    grpc_tls: bool | None = None
    """Use TLS for gRPC; default: the network's (off for local, on for testnet/mainnet)."""


class AccountSettings(_Section):
    """The account to trade or watch. The mnemonic itself never goes in this file."""

    address: Annotated[str, AfterValidator(_check_address)] | None = None
    """dydx1... address. With a mnemonic it must match; without one (testnet/mainnet) the
    app watches this account read-only."""
    subaccount_number: int = Field(default=0, ge=0, le=128_000)
    """Subaccount to trade: 0-127 cross-margin, 128 and up isolated."""
    mnemonic_file: Annotated[Path, Field(strict=False)] | None = None
    """File holding the mnemonic, readable by you only (chmod 600). `~` is expanded; a
    relative path is relative to this config file."""


class TradingSettings(_Section):
    """Order defaults and the limits the controller keeps to."""

    short_term_blocks: int = Field(default=10, ge=1, le=MAX_SHORT_TERM_BLOCKS)
    """Blocks a short-term order lives (good_til_block = next height + this). At most 20,
    the short block window of dydx_v4_client and of chains before protocol 9.5."""
    long_term_seconds: int = Field(default=30 * DAY, ge=60, le=MAX_LONG_TERM_SECONDS)
    """Lifetime of a long-term order in seconds (the chain allows up to 95 days)."""
    cancel_rate_limit: float = Field(default=10.0, gt=0, le=1000, allow_inf_nan=False)
    """Cancels sent per second at most (cancel-all is spread out to respect it)."""
    node_timeout_seconds: Seconds = 5.0
    """Deadline of each gRPC call to the node (dydx_v4_client sets none of its own)."""
    confirm_timeout_seconds: Seconds = 15.0
    """How long a sent order may stay unseen by the indexer before it is reconciled."""


class FeedSettings(_Section):
    """The indexer WebSocket feed and its REST fallback."""

    reconnect_min_seconds: Seconds = 0.5
    """First reconnect delay; doubles per failed attempt, with jitter."""
    reconnect_max_seconds: Seconds = 30.0
    """Longest reconnect delay."""
    reconnect_jitter: float = Field(default=0.5, ge=0, le=1, allow_inf_nan=False)
    """Random part of each delay, as a fraction of it (spreads clients after a restart)."""
    reconnects_before_polling: int = Field(default=5, ge=1, le=100)
    """Failed reconnects after which the feed polls the REST indexer meanwhile."""
    silence_timeout_seconds: Seconds = 20.0
    """No message and no pong for this long: the connection is dead, reconnect."""
    poll_interval_seconds: Seconds = 2.0
    """REST polling interval while the WebSocket is down."""
    rest_timeout_seconds: Seconds = 10.0
    """Deadline of each REST request."""
    rest_max_retries: int = Field(default=3, ge=0, le=20)
    """Retries of a REST request after a 5xx or timeout before it is reported."""
    max_frame_bytes: int = Field(default=8 * MIB, ge=MIB, le=256 * MIB)
    """Largest WebSocket message accepted. A subaccount snapshot with 1,000 open orders is
    about 1 MB (websockets' default limit is 1 MiB); 8 MiB leaves room."""

    @model_validator(mode="after")
    def _min_below_max(self) -> FeedSettings:
        if self.reconnect_min_seconds > self.reconnect_max_seconds:
            raise ValueError("reconnect_min_seconds must not exceed reconnect_max_seconds")
        return self


class Settings(_Section):
    """Everything the config file may say. Defaults make a working `local` setup."""

    network: NetworkName = "local"
    """local, testnet or mainnet. mainnet is used only with --network mainnet."""
    endpoints: EndpointSettings = EndpointSettings()
    """Endpoint overrides (the environment's DYDX_* variables beat these)."""
    account: AccountSettings = AccountSettings()
    """Account and key file."""
    trading: TradingSettings = TradingSettings()
    """Order lifetimes, rate limit and deadlines."""
    feed: FeedSettings = FeedSettings()
    """Reconnects, heartbeats, polling and frame size."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key bindings to change: action id -> key(s), e.g. `cancel_order: x` or `quit: q,ctrl+c`."""
    log_level: Annotated[
        Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)
    ] = "INFO"
    """DEBUG, INFO, WARNING or ERROR."""
    log_file: Annotated[Path, Field(strict=False)] | None = None
    """Log file; default $XDG_STATE_HOME/dydx-tui/dydx-tui.log."""

    @field_validator("keys")
    @classmethod
    def _check_keys(cls, keys: dict[str, str]) -> dict[str, str]:
        owner: dict[str, str] = {}
        for action, binding in keys.items():
            if not _ACTION_ID.fullmatch(action):
                raise ValueError(
                    f"{display_key(action)} is not an action id (lower_case, dots allowed)"
                )
            if not _KEYS.fullmatch(binding):
                # The binding is not quoted: error messages never repeat free text.
                raise ValueError(f"{action}: not a key binding (e.g. x, ctrl+c, f5, or q,escape)")
            for key in binding.split(","):
                if key in owner:
                    raise ValueError(f"key {key!r} is bound to both {owner[key]} and {action}")
                owner[key] = action
        return keys


# --- reading the file --------------------------------------------------------------------


def find_config_file(
    cli_path: str | os.PathLike[str] | None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """`--config PATH`, else `$DYDX_TUI_CONFIG`, else the XDG config file if it exists.

    A path given explicitly must exist; a missing XDG file just means defaults.
    """
    environ = os.environ if environ is None else environ
    if cli_path is not None:
        path, origin = Path(cli_path).expanduser(), "--config"
    elif environ.get(ENV_CONFIG):
        path, origin = Path(environ[ENV_CONFIG]).expanduser(), ENV_CONFIG
    else:
        default = locations.config_dir() / CONFIG_FILE_NAME
        return default if default.is_file() else None
    if not path.is_file():
        raise ConfigError(str(path), [("", f"no such config file (given by {origin})")])
    return path


def load_settings(path: Path | None) -> Settings:
    """The settings in `path`, or the defaults when there is no file."""
    if path is None:
        return Settings()
    result = _settings_from_file(path)
    if isinstance(result, ConfigError):
        raise result
    return result


def parse_settings(text: str, source: str, base_dir: Path | None = None) -> Settings:
    """Parse YAML text into Settings; `source` names the file in error messages."""
    result = _parse_settings(text, source, base_dir)
    del text  # not in this frame's locals when the error below is raised (see _parse_settings)
    if isinstance(result, ConfigError):
        raise result
    return result


# The file's text may hold a secret pasted in the wrong place, and a traceback printed with
# its locals (Textual's crash report) would show it. So the functions that hold the text
# return the error instead of raising it, and the caller raises it from a frame without the
# text; created outside an `except` block, it has no __context__ either.


def _settings_from_file(path: Path) -> Settings | ConfigError:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return ConfigError(str(path), [("", "cannot read the file as UTF-8 text")])
    return _parse_settings(text, str(path), base_dir=path.parent)


@cache
def _unique_key_loader() -> type:
    """SafeLoader that refuses a key given twice (PyYAML silently keeps the last).

    Built on first use: without a config file the app needs no YAML (20-60 ms to import)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = loader.construct_object(key_node)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {display_key(key)} appears twice", key_node.start_mark
                )
            seen.add(key)
        return loader.construct_mapping(node)

    UniqueKeyLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping
    )
    return UniqueKeyLoader


def _parse_settings(text: str, source: str, base_dir: Path | None) -> Settings | ConfigError:
    data = _parse_yaml(text, source)
    if isinstance(data, ConfigError):
        return data
    if data is None:  # an empty file, or only comments
        return Settings()
    if not isinstance(data, dict):
        return ConfigError(source, [("", "the top level must be a mapping, e.g. `network: local`")])

    # Before validation: "mnemonic: ..." must say why it is refused, not just "unknown key".
    secrets = list(find_secrets(data))
    if secrets:
        return ConfigError(source, secrets)

    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        return ConfigError(source, _describe(exc))

    file = settings.account.mnemonic_file
    if file is not None:
        file = file.expanduser()
        if not file.is_absolute() and base_dir is not None:
            file = base_dir / file
        settings = settings.model_copy(
            update={"account": settings.account.model_copy(update={"mnemonic_file": file})}
        )
    return settings


def _parse_yaml(text: str, source: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_unique_key_loader())  # noqa: S506 (a SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its position: str(exc) quotes the surrounding lines.
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = exc.problem or exc.context or "invalid YAML"
        return ConfigError(source, [(where, f"invalid YAML: {problem}")])
    except yaml.YAMLError:
        return ConfigError(source, [("", "invalid YAML")])
    except RecursionError:  # deeply nested flow collections
        return ConfigError(source, [("", "invalid YAML: nested too deeply")])


def _describe(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    # include_input=False: a value may be a secret in the wrong place.
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = error["loc"]
        key = _key_path(loc)
        if error["type"] == "extra_forbidden":
            reason = "unknown key" + _did_you_mean(loc)
        elif error["type"] in ("model_type", "model_attributes_type"):
            reason = "must be a section of keys (key: value lines indented below it)"
        elif error["type"] == "value_error":
            reason = error["msg"].removeprefix("Value error, ")
        else:
            reason = error["msg"]
        problems.append((key, reason))
    return problems


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.startswith("function-"):
            continue  # pydantic's name of a validator branch, not a key
        else:
            name = display_key(part)
            path += f".{name}" if path else name
    return path or "<top level>"


def _did_you_mean(loc: tuple[int | str, ...]) -> str:
    model: type[BaseModel] = Settings
    for part in loc[:-1]:
        annotation = model.model_fields.get(str(part))
        target = annotation.annotation if annotation else None
        if not (isinstance(target, type) and issubclass(target, BaseModel)):
            return ""
        model = target
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(model.model_fields)})"


# --- the environment ---------------------------------------------------------------------


class EnvOverrides(BaseModel):
    """The DYDX_* environment variables, read once.

    Passing this instead of `os.environ` keeps the raw mnemonic out of the local variables
    that a traceback with locals would print.
    """

    model_config = ConfigDict(frozen=True)

    config_file: str | None = None
    rest_url: str | None = None
    ws_url: str | None = None
    grpc_addr: str | None = None
    mnemonic: SecretStr | None = None
    mnemonic_file: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> EnvOverrides:
        environ = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            return environ.get(name, "").strip() or None  # empty means unset

        mnemonic = environ.get(ENV_MNEMONIC, "")
        mnemonic_file = get(ENV_MNEMONIC_FILE)
        return cls(
            config_file=get(ENV_CONFIG),
            rest_url=get(ENV_REST_URL),
            ws_url=get(ENV_WS_URL),
            grpc_addr=get(ENV_GRPC_ADDR),
            mnemonic=SecretStr(" ".join(mnemonic.split())) if mnemonic.strip() else None,
            mnemonic_file=Path(mnemonic_file).expanduser() if mnemonic_file else None,
        )


# --- the resolved configuration ----------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Endpoints(_Frozen):
    rest_url: str
    """Indexer REST base URL (no /v4)."""
    ws_url: str
    """Indexer WebSocket URL."""
    grpc_addr: str
    """Node gRPC host:port."""
    grpc_tls: bool
    """TLS on the gRPC channel."""


class Paths(_Frozen):
    config_file: Path | None
    """The config file read, if any."""
    data_dir: Path
    """$XDG_DATA_HOME/dydx-tui."""
    db_path: Path
    """The order metadata store of this network (one file per network)."""
    log_file: Path
    """Where logs go."""


class ResolvedConfig(_Frozen):
    """Everything the rest of the app needs to know, decided once at start."""

    network: NetworkName
    chain_id: str
    native_denom: str
    endpoints: Endpoints
    endpoint_sources: dict[str, str]
    """For each endpoint: "default", "config file" or the environment variable."""
    address: str
    subaccount_number: int
    credentials: Credentials
    paths: Paths
    settings: Settings
    """The file's settings: trading, feed, keys, log level."""

    @property
    def tls(self) -> bool:
        return self.endpoints.grpc_tls

    @property
    def read_only(self) -> bool:
        return self.credentials.read_only

    @property
    def is_mainnet(self) -> bool:
        return self.network == "mainnet"

    def node_config(self) -> Any:
        """A dydx_v4_client `NodeConfig` (opens a gRPC channel object, lazily connecting)."""
        return make_node_config(
            self.chain_id, self.native_denom, self.endpoints.grpc_addr, self.endpoints.grpc_tls
        )


def db_path(network: str) -> Path:
    return locations.data_dir() / f"orders-{network}.sqlite3"


def resolve_config(
    settings: Settings,
    *,
    cli_network: str | None = None,
    config_file: Path | None = None,
    env: EnvOverrides | None = None,
) -> ResolvedConfig:
    """Apply the command line and environment to `settings` and check the result.

    Raises ConfigError, NetworkRefused (mainnet without --network mainnet, non-loopback
    endpoints on local) or CredentialsError (key file too open, address mismatch...).
    """
    env = EnvOverrides() if env is None else env
    network = resolve_network(cli_network, settings)
    spec = network_spec(network)
    endpoints, sources = _resolve_endpoints(settings, network, env)

    if network == "local":
        check_local_endpoint(sources["rest_url"], url_host(endpoints.rest_url))
        check_local_endpoint(sources["ws_url"], url_host(endpoints.ws_url))
        check_local_endpoint(sources["grpc_addr"], grpc_host(endpoints.grpc_addr))

    credentials = resolve_credentials(
        network,
        address=settings.account.address,
        env_mnemonic=env.mnemonic,
        env_mnemonic_file=env.mnemonic_file,
        config_mnemonic_file=settings.account.mnemonic_file,
    )
    log_file = settings.log_file.expanduser() if settings.log_file else None
    paths = Paths(
        config_file=config_file,
        data_dir=locations.data_dir(),
        db_path=db_path(network),
        log_file=log_file or locations.default_log_file(),
    )
    resolved = ResolvedConfig(
        network=network,
        chain_id=spec.chain_id,
        native_denom=spec.native_denom,
        endpoints=endpoints,
        endpoint_sources=sources,
        address=credentials.address,
        subaccount_number=settings.account.subaccount_number,
        credentials=credentials,
        paths=paths,
        settings=settings,
    )
    log.info(
        "network %s (%s): REST %s, WS %s, gRPC %s%s; account %s/%d%s",
        network, spec.chain_id, endpoints.rest_url, endpoints.ws_url, endpoints.grpc_addr,
        " TLS" if endpoints.grpc_tls else "", resolved.address, resolved.subaccount_number,
        " (read-only)" if resolved.read_only else "",
    )
    return resolved


def _resolve_endpoints(
    settings: Settings, network: str, env: EnvOverrides
) -> tuple[Endpoints, dict[str, str]]:
    spec = network_spec(network)
    values: dict[str, Any] = {
        "rest_url": spec.rest_url,
        "ws_url": spec.ws_url,
        "grpc_addr": spec.grpc_addr,
        "grpc_tls": spec.grpc_tls,
    }
    sources = {key: f"{key} (default of {network})" for key in values}

    file_overrides = settings.endpoints.model_dump(exclude_none=True)
    if file_overrides and settings.network != network:
        log.warning(
            "ignoring the config file's endpoints: they are for %s, the network in use is %s",
            settings.network, network,
        )
    elif file_overrides:
        values.update(file_overrides)
        sources.update({key: f"endpoints.{key} (config file)" for key in file_overrides})

    checks = {
        "rest_url": (ENV_REST_URL, check_http_url),
        "ws_url": (ENV_WS_URL, check_ws_url),
        "grpc_addr": (ENV_GRPC_ADDR, check_grpc_addr),
    }
    for key, (variable, check) in checks.items():
        raw = getattr(env, key)
        if raw is None:
            continue
        try:
            values[key] = check(raw)
        except ValueError as exc:
            raise ConfigError(f"environment variable {variable}", [("", str(exc))]) from None
        sources[key] = f"{variable} (environment)"
    return Endpoints(**values), sources


def load_config(
    cli_config: str | os.PathLike[str] | None = None,
    cli_network: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> ResolvedConfig:
    """Find and read the config file, apply environment and command line, check it all.

    The one call the command line makes; it does not contact any server (the chain id
    check, `tui_app.networks.check_chain_id`, comes once a node connection exists).
    """
    env = EnvOverrides.from_environ(environ)
    path = find_config_file(cli_config, {ENV_CONFIG: env.config_file or ""})
    settings = load_settings(path)
    return resolve_config(settings, cli_network=cli_network, config_file=path, env=env)


# --- command-line glue -------------------------------------------------------------------


def add_config_arguments(parser: argparse.ArgumentParser, *, non_interactive: bool) -> None:
    """Add --config and --network (and, for non-interactive commands, the mainnet flag)."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help=f"config file (default: ${ENV_CONFIG}, else ~/.config/dydx-tui/config.yaml)",
    )
    parser.add_argument(
        "--network",
        choices=NETWORK_NAMES,
        default=None,
        help="network to use (default: the config file's, else local); mainnet is only ever "
        "chosen here",
    )
    if non_interactive:
        parser.add_argument(
            "--i-understand-mainnet",
            action="store_true",
            help="required with --network mainnet: this command acts on real funds",
        )


def config_from_args(args: argparse.Namespace) -> ResolvedConfig:
    """`load_config` for parsed arguments; checks --i-understand-mainnet when it exists.

    The TUI (no such flag) asks for its typed confirmation itself.
    """
    if hasattr(args, "i_understand_mainnet"):
        # Before anything is read: mainnet can only come from --network.
        require_mainnet_ack(args.i_understand_mainnet, args.network or "local")
    return load_config(args.config, args.network)
