"""Property-based fuzzing (Hypothesis, seeded, sized for CI) of what the web reads from a
client or a file: JSON bodies, uploaded settings TOML, encrypted backups and PEM files.
Whatever the input, the answer is the module's own clear error, never another exception."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from netvision.services.web.api import read_json
from netvision.services.web.app import ApiError
from netvision.services.web.certificates import validate_pem
from netvision.services.web.tls import CertificateError
from netvision.settings import Settings, backup
from netvision.settings.store import SettingsError, settings_from_upload

FUZZ = settings(derandomize=True, max_examples=150, deadline=None, database=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)
# TOML-looking lines: tables, keys of the real sections, values of every type.
toml_lines = st.lists(
    st.one_of(
        st.sampled_from(["[system]", "[web]", "[snmp]", "[[snmp.usm_users]]", "[[web.external_links]]", "[serial]"]),
        st.builds(
            lambda key, value: f"{key} = {value}",
            st.sampled_from(["name", "port", "http_port", "bind", "write_community", "address", "enabled", "x"]),
            st.sampled_from(['"x"', "1", "true", "[1, [2]]", "{a = 1}", '"0.0.0.0"', "99999", '"javascript:x"', "[[[]]]"]),
        ),
        st.text(max_size=30),
    ),
    max_size=12,
)


class FakeRequest:
    def __init__(self, body: bytes) -> None:
        self.body = body

    async def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@FUZZ
@given(st.one_of(st.binary(max_size=200), json_values.map(lambda value: json.dumps(value).encode())))
def test_a_json_body_is_an_object_or_a_clear_400(body: bytes) -> None:
    try:
        result = asyncio.run(read_json(FakeRequest(body)))  # type: ignore[arg-type]
    except ApiError as problem:
        assert problem.status == 400
    else:
        assert isinstance(result, dict)


@FUZZ
@given(toml_lines)
def test_an_uploaded_settings_file_is_merged_or_refused_with_reasons(lines: list[str]) -> None:
    current = Settings()
    try:
        restored, missing = settings_from_upload("\n".join(lines), current)
    except SettingsError as problem:
        assert problem.problems and all(isinstance(line, str) for line in problem.problems)
    else:
        assert restored.data_dir == current.data_dir and isinstance(missing, list)


SEALED = backup.encrypt('[system]\nname = "x"\n', "Backup-pass-1")


@settings(derandomize=True, max_examples=25, deadline=None, database=None)
@given(st.sampled_from(sorted(json.loads(SEALED))), json_values)
def test_a_damaged_backup_is_refused_with_a_clear_message(field: str, value: Any) -> None:
    document = json.loads(SEALED)
    document[field] = value
    try:
        backup.decrypt(json.dumps(document), "Backup-pass-1")
    except backup.BackupError:
        pass


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda kind, body: f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n".encode(),
            st.sampled_from(["PRIVATE KEY", "CERTIFICATE", "EC PRIVATE KEY"]),
            st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\n", max_size=200),
        ),
    )
)
def test_an_uploaded_pem_is_accepted_or_refused_with_a_clear_message(data: bytes) -> None:
    try:
        validate_pem(data + b"\n-----BEGIN PRIVATE KEY-----\n")
    except CertificateError:
        pass
