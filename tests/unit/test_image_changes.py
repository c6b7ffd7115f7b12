"""``--change`` instructions of docker import: Dockerfile lines applied to an image config."""

from __future__ import annotations

import pytest

from dockyard.errors import InvalidParameter
from dockyard.image.changes import apply_changes
from dockyard.oci.image import ContainerConfig


def apply(*changes: str) -> ContainerConfig:
    return apply_changes(ContainerConfig(), changes)


def test_cmd_json_array_is_the_exec_form() -> None:
    assert apply('CMD ["echo", "hi there"]').cmd == ["echo", "hi there"]


def test_cmd_shell_form_runs_through_sh_c() -> None:
    assert apply("CMD echo hi").cmd == ["/bin/sh", "-c", "echo hi"]


def test_entrypoint_without_cmd_clears_cmd() -> None:
    config = apply_changes(ContainerConfig(cmd=["sh"]), ['ENTRYPOINT ["/bin/ls"]'])
    assert config.entrypoint == ["/bin/ls"]
    assert config.cmd is None


def test_cmd_then_entrypoint_keeps_cmd() -> None:
    config = apply('CMD ["-l"]', 'ENTRYPOINT ["/bin/ls"]')
    assert config.cmd == ["-l"]


def test_env_key_value_pairs_with_quotes() -> None:
    assert apply('ENV A=1 B="two words"').env == ["A=1", "B=two words"]


def test_env_legacy_form_takes_rest_of_line() -> None:
    assert apply("ENV GREETING hello  world").env == ["GREETING=hello  world"]


def test_env_expands_earlier_variables() -> None:
    assert apply("ENV A=x", "ENV B=${A}y C=$A").env == ["A=x", "B=xy", "C=x"]


def test_env_replaces_existing_key() -> None:
    assert apply("ENV A=1", "ENV A=2").env == ["A=2"]


def test_single_quotes_prevent_expansion() -> None:
    assert apply("ENV A=x", "ENV B='$A'").env[-1] == "B=$A"


def test_default_expansion() -> None:
    assert apply("USER ${NOPE:-nobody}").user == "nobody"


def test_expose_ranges_and_protocols() -> None:
    assert list(apply("EXPOSE 80 53/udp 8000-8001").exposed_ports) == [
        "80/tcp",
        "53/udp",
        "8000/tcp",
        "8001/tcp",
    ]


def test_expose_invalid_port_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="invalid containerPort: abc"):
        apply("EXPOSE abc")


def test_label_with_quoted_key() -> None:
    assert apply('LABEL a=b "c d"="e f"').labels == {"a": "b", "c d": "e f"}


def test_volume_json_and_words() -> None:
    assert list(apply('VOLUME ["/a"]', "VOLUME /b /c").volumes) == ["/a", "/b", "/c"]


def test_relative_workdir_joins_previous() -> None:
    assert apply("WORKDIR /app", "WORKDIR sub").working_dir == "/app/sub"


def test_stopsignal_validates_the_name() -> None:
    assert apply("STOPSIGNAL SIGKILL").stop_signal == "SIGKILL"
    with pytest.raises(InvalidParameter, match="Invalid signal: SIGNOPE"):
        apply("STOPSIGNAL SIGNOPE")


def test_onbuild_keeps_the_trigger() -> None:
    assert apply("ONBUILD RUN make").on_build == ["RUN make"]


def test_onbuild_onbuild_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="Chaining ONBUILD"):
        apply("ONBUILD ONBUILD RUN x")


def test_instruction_names_are_case_insensitive() -> None:
    assert apply("cmd sh").cmd == ["/bin/sh", "-c", "sh"]


def test_run_is_not_a_valid_change() -> None:
    with pytest.raises(InvalidParameter, match="RUN is not a valid change command"):
        apply("RUN echo")


def test_unknown_instruction_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="unknown instruction: BOGUS"):
        apply("BOGUS x")


def test_missing_argument_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="USER requires at least one argument"):
        apply("USER")


def test_unterminated_quote_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="matching"):
        apply('ENV A="x')


def test_line_continuation_joins_lines() -> None:
    assert apply("ENV A=1 \\\n B=2").env == ["A=1", "B=2"]
