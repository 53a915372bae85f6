# -*- test-case-name: tests.process.test_config -*-
"""
Server configuration: built-in defaults, overridden by a TOML file, overridden by
command-line options; secrets may also come from ``VOICEDOCK_*`` environment variables.

Every key is documented in ``etc/voicedock.toml``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import attrs


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key at fault."""


@attrs.frozen
class PortRange:
    """An inclusive range of UDP ports for RTP (``20000-29999``)."""

    low: int
    high: int

    @classmethod
    def parse(cls, text: str, key: str = "rtp_ports") -> "PortRange":
        try:
            lo_s, hi_s = str(text).split("-", 1)
            lo, hi = int(lo_s), int(hi_s)
        except ValueError:
            raise ConfigError(f"{key}: expected 'LOW-HIGH' (e.g. 20000-29999), got {text!r}")
        if not (1024 <= lo < hi <= 65535):
            raise ConfigError(f"{key}: range must lie within 1024-65535 with LOW < HIGH, got {text!r}")
        if hi - lo < 1:
            raise ConfigError(f"{key}: range must hold at least one even/odd port pair")
        return cls(lo, hi)

    def __str__(self) -> str:
        return f"{self.low}-{self.high}"


@attrs.frozen
class ServerConfig:
    """Everything the process needs to start; immutable once loaded."""

    data_dir: Path = Path("var")
    db: str | None = None  # a PostgreSQL DSN; None = embedded server in <data_dir>/pg
    pg_user: str | None = None  # unprivileged user for the embedded server when run as root
    api_interface: str = "127.0.0.1"
    api_port: int = 8080
    sip_interface: str = "0.0.0.0"
    sip_port: int = 5060
    public_ip: str | None = None
    rtp_ports: PortRange = PortRange(20000, 29999)
    log_format: str = "text"
    secret_key: str | None = None  # base64/hex 32 bytes; VOICEDOCK_SECRET_KEY wins
    secret_key_file: Path | None = None
    rate_limit_per_minute: int = 100
    trusted_sources: tuple[str, ...] = ()
    sip_t1: float = 0.5
    sip_t2: float = 4.0
    sip_t4: float = 5.0
    sip_server_header: str | None = None
    rtp_timeout: float = 30.0
    jitter_min_ms: int = 40
    jitter_max_ms: int = 200

    @property
    def pg_dir(self) -> Path:
        return self.data_dir / "pg"

    @property
    def ports_file(self) -> Path:
        return self.data_dir / "ports.json"

    @property
    def bootstrap_key_file(self) -> Path:
        return self.data_dir / "bootstrap-api-key"

    @property
    def default_secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"


# Where each option lives in the TOML file: option name -> (table, key).
TOML_KEYS: dict[str, tuple[str, str]] = {
    "data_dir": ("server", "data_dir"),
    "log_format": ("server", "log_format"),
    "public_ip": ("server", "public_ip"),
    "db": ("database", "dsn"),
    "pg_user": ("database", "embedded_user"),
    "api_interface": ("api", "interface"),
    "api_port": ("api", "port"),
    "rate_limit_per_minute": ("api", "rate_limit_per_minute"),
    "sip_interface": ("sip", "interface"),
    "sip_port": ("sip", "port"),
    "trusted_sources": ("sip", "trusted_sources"),
    "sip_t1": ("sip", "t1"),
    "sip_t2": ("sip", "t2"),
    "sip_t4": ("sip", "t4"),
    "sip_server_header": ("sip", "server_header"),
    "rtp_timeout": ("media", "rtp_timeout"),
    "jitter_min_ms": ("media", "jitter_min_ms"),
    "jitter_max_ms": ("media", "jitter_max_ms"),
    "rtp_ports": ("media", "rtp_ports"),
    "secret_key": ("secrets", "key"),
    "secret_key_file": ("secrets", "key_file"),
}

ENVIRONMENT = {
    "secret_key": "VOICEDOCK_SECRET_KEY",
    "db": "VOICEDOCK_DB",
}


def read_toml(path: Path) -> dict[str, Any]:
    """Read a config file into option-name -> value, refusing unknown tables and keys."""
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}")
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}")
    known = {(t, k): name for name, (t, k) in TOML_KEYS.items()}
    tables = {t for t, _ in known}
    out: dict[str, Any] = {}
    for table, body in doc.items():
        if table not in tables or not isinstance(body, dict):
            raise ConfigError(f"{path}: unknown table [{table}]")
        for key, value in body.items():
            name = known.get((table, key))
            if name is None:
                raise ConfigError(f"{path}: unknown key {key!r} in [{table}]")
            out[name] = value
    return out


def _check_port(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{name}: expected a port number, got {value!r}")
    if not 0 <= value <= 65535:
        raise ConfigError(f"{name}: port must be 0-65535 (0 = pick a free one), got {value}")
    return value


def _check_address(name: str, value: Any) -> str:
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        raise ConfigError(f"{name}: expected an IPv4 or IPv6 address, got {value!r}")


def build_config(
    file_values: Mapping[str, Any],
    cli_values: Mapping[str, Any],
    environ: Mapping[str, str] = os.environ,
) -> ServerConfig:
    """Merge defaults < config file < command line, then environment secrets; validate."""
    merged: dict[str, Any] = {}
    merged.update({k: v for k, v in file_values.items() if v is not None})
    merged.update({k: v for k, v in cli_values.items() if v is not None})
    for name, var in ENVIRONMENT.items():
        if environ.get(var):
            merged[name] = environ[var]

    kw: dict[str, Any] = {}
    if "data_dir" in merged:
        kw["data_dir"] = Path(str(merged["data_dir"]))
    for name in ("db", "pg_user", "secret_key"):
        if merged.get(name) not in (None, ""):
            kw[name] = str(merged[name])
    if merged.get("secret_key_file"):
        kw["secret_key_file"] = Path(str(merged["secret_key_file"]))
    for name in ("api_port", "sip_port"):
        if name in merged:
            kw[name] = _check_port(name, merged[name])
    for name in ("api_interface", "sip_interface"):
        if name in merged:
            kw[name] = _check_address(name, merged[name])
    if merged.get("public_ip"):
        kw["public_ip"] = _check_address("public_ip", merged["public_ip"])
    if "rtp_ports" in merged:
        kw["rtp_ports"] = PortRange.parse(merged["rtp_ports"])
    if "log_format" in merged:
        if merged["log_format"] not in ("text", "json"):
            raise ConfigError(f"log_format: expected 'text' or 'json', got {merged['log_format']!r}")
        kw["log_format"] = merged["log_format"]
    if "rate_limit_per_minute" in merged:
        value = merged["rate_limit_per_minute"]
        try:
            value = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"rate_limit_per_minute: expected a whole number, got {value!r}")
        if value < 0:
            raise ConfigError("rate_limit_per_minute: must be 0 (off) or more")
        kw["rate_limit_per_minute"] = value
    if "trusted_sources" in merged:
        sources = merged["trusted_sources"]
        if isinstance(sources, str):
            sources = [s for s in sources.replace(",", " ").split() if s]
        checked = []
        for s in sources:
            try:
                checked.append(str(ipaddress.ip_network(str(s), strict=False)))
            except ValueError:
                raise ConfigError(f"trusted_sources: {s!r} is not an IP address or CIDR")
        kw["trusted_sources"] = tuple(checked)
    for name, low, high in (("sip_t1", 0.05, 10.0), ("sip_t2", 0.5, 60.0), ("sip_t4", 0.5, 60.0),
                            ("rtp_timeout", 1.0, 3600.0)):
        if name in merged:
            kw[name] = _check_number(name, merged[name], low, high)
    for name in ("jitter_min_ms", "jitter_max_ms"):
        if name in merged:
            value = _check_number(name, merged[name], 20, 1000)
            if value % 20:
                raise ConfigError(f"{name}: must be a multiple of 20 ms (one RTP frame), got {value:g}")
            kw[name] = int(value)
    if merged.get("sip_server_header"):
        header = str(merged["sip_server_header"])
        if any(c in header for c in "\r\n") or len(header) > 200:
            raise ConfigError("server_header: one line of at most 200 characters")
        kw["sip_server_header"] = header
    config = ServerConfig(**kw)
    if config.sip_t2 < config.sip_t1:
        raise ConfigError("t2: must not be smaller than t1 (RFC 3261 §17.1.2.2)")
    if config.jitter_min_ms > config.jitter_max_ms:
        raise ConfigError("jitter_min_ms: must not exceed jitter_max_ms")
    return config


def _check_number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name}: expected a number, got {value!r}")
    if not low <= number <= high:
        raise ConfigError(f"{name}: must be between {low:g} and {high:g}, got {number:g}")
    return number


def load_config(config_path: str | None, cli_values: Mapping[str, Any]) -> ServerConfig:
    """Load the TOML file (if given) and merge the command-line values over it."""
    file_values = read_toml(Path(config_path)) if config_path else {}
    return build_config(file_values, cli_values)
