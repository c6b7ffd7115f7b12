"""daemon.json validation: a bad file stops the start with a message naming the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockyard.daemon.config import AddressPool, DaemonConfig, load_file, merge
from dockyard.daemon.main import load_config
from dockyard.errors import InvalidParameter


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "daemon.json"
    path.write_text(json.dumps(doc))
    return path


def test_every_documented_key_is_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        {
            "hosts": ["unix:///tmp/x.sock"],
            "data-root": "/tmp/dr",
            "exec-root": "/tmp/er",
            "debug": True,
            "log-level": "warn",
            "insecure-registries": ["127.0.0.1:5000"],
            "registry-mirrors": ["http://127.0.0.1:5001"],
            "default-runtime": "runc",
            "runtimes": {"crun": {"path": "/usr/bin/crun"}},
            "bip": "172.31.0.1/16",
            "default-address-pools": [{"base": "172.80.0.0/16", "size": 24}],
            "live-restore": True,
            "log-driver": "json-file",
            "log-opts": {"max-size": "10m", "max-file": 3},
        },
    )
    config = merge({}, load_file(path))
    assert config.data_root == "/tmp/dr"
    assert config.default_address_pools == (AddressPool("172.80.0.0/16", 24),)
    assert config.log_opts == {"max-size": "10m", "max-file": "3"}
    assert config.log_level == "debug"  # debug wins, as in Docker


def test_unknown_key_names_the_key(tmp_path: Path) -> None:
    path = write(tmp_path, {"data-root": "/x", "bogus-option": 1})
    with pytest.raises(InvalidParameter, match="don't match any configuration option: bogus"):
        load_file(path)


def test_value_of_wrong_type_names_key_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, {"debug": "yes"})
    with pytest.raises(InvalidParameter, match="invalid value for 'debug'"):
        load_file(path)


def test_integer_is_not_a_boolean(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="live-restore"):
        load_file(write(tmp_path, {"live-restore": 1}))


def test_unknown_log_level_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="log-level"):
        load_file(write(tmp_path, {"log-level": "chatty"}))


def test_bad_address_pool_size_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, {"default-address-pools": [{"base": "10.0.0.0/8", "size": 40}]})
    with pytest.raises(InvalidParameter, match="size 40"):
        load_file(path)


def test_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text("{not json")
    with pytest.raises(InvalidParameter, match=str(path)):
        load_file(path)


def test_option_both_as_flag_and_in_file_is_an_error() -> None:
    with pytest.raises(InvalidParameter, match="both as a flag and in the configuration file"):
        merge({"data_root": "/a"}, {"data_root": "/b"})


def test_flags_without_file_give_defaults_elsewhere(tmp_path: Path) -> None:
    config = load_config(["--data-root", str(tmp_path), "--config-file", str(write(tmp_path, {}))])
    assert config.data_root == str(tmp_path)
    assert config.hosts == DaemonConfig().hosts


def test_explicit_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="unable to read"):
        load_config(["--config-file", str(tmp_path / "absent.json")])
