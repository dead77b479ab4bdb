"""The command line as a person uses it: separate processes, a simulator on a pty."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NETVISION = [sys.executable, "-m", "netvision"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NETVISION, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def wait_path(path: Path, process: subprocess.Popen[str], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.05)


@pytest.fixture
def simulator_process(tmp_path: Path) -> Iterator:
    processes: list[subprocess.Popen[str]] = []

    def start(*options: str) -> tuple[Path, Path]:
        link = tmp_path / f"ups{len(processes)}"
        control = tmp_path / f"ups{len(processes)}.sock"
        process = subprocess.Popen(
            [*NETVISION, "--log-level", "warning", "sim", *options, "--link", str(link), "--control", str(control)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        wait_path(link, process)
        wait_path(control, process)
        return link, control

    yield start
    for process in processes:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize(
    "options, map_name, model, kind",
    [
        (["--map", "jbusp", "--topology", "three_phase"], "jbusp", "MASTERYS 3/1 UPS", "single"),
        (["--map", "vumap", "--topology", "parallel", "--units", "2", "--baud", "57600"], "vumap", "MASTERYS GP4", "parallel"),
        (["--map", "sts", "--topology", "three_phase", "--baud", "19200"], "sts", None, "sts"),
    ],
)
def test_probe_against_the_simulator_prints_the_snapshot(simulator_process, options, map_name, model, kind):
    link, _control = simulator_process(*options)
    result = run("probe", "--device", str(link))
    assert result.returncode == 0, result.stderr
    snapshot = json.loads(result.stdout)
    assert snapshot["communication"]["map_name"] == map_name
    assert snapshot["communication"]["state"] == "ok"
    baud = int(options[options.index("--baud") + 1]) if "--baud" in options else 9600
    assert snapshot["communication"]["baud_rate"] == baud
    assert f"map: {map_name}" in result.stderr and f"baud rate: {baud}" in result.stderr
    assert snapshot["topology"]["kind"] == kind
    if model:
        assert snapshot["identity"]["model"] == model
    assert 49 < snapshot["system"]["measurements"]["output_frequency"] < 51


def test_probe_without_ups_says_so(tmp_path):
    master, slave = os.openpty()
    try:
        result = run("probe", "--device", os.ttyname(slave), "--baud", "9600")
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 1
    assert "no UPS answered" in result.stderr


def test_simctl_drives_a_running_simulator(simulator_process):
    link, control = simulator_process("--map", "jbusp", "--topology", "three_phase")
    result = subprocess.run(
        [*NETVISION, "simctl", str(control), "scenario", "mains_failure"],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    probe = run("probe", "--device", str(link), "--baud", "9600")
    assert json.loads(probe.stdout)["system"]["derived"]["ups_status"] == "ups_status.on_battery"


def test_config_check_names_the_bad_key(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text("[serial]\npolling_rate = 5\n")
    assert run("config", "check", str(good)).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[serial]\npolling_rate = 0\n")
    result = run("config", "check", str(bad))
    assert result.returncode == 1
    assert "serial.polling_rate" in result.stderr


def test_daemon_refuses_to_start_on_a_bad_file_and_leaves_it_alone(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[snmp]\nport = 'abc'\n")
    result = run("run", "--config", str(bad))
    assert result.returncode == 2
    assert "snmp.port" in result.stderr and "not starting" in result.stderr
    assert bad.read_text() == "[snmp]\nport = 'abc'\n"


def test_daemon_polls_and_stops_cleanly_on_sigterm(simulator_process, tmp_path):
    link, _control = simulator_process("--map", "vumap", "--topology", "three_phase")
    config = tmp_path / "netvision.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[serial]\ndevice = "{link}"\npolling_rate = 1\n'
        "[web]\nhttp_enabled = false\nhttps_enabled = false\n[snmp]\nenabled = false\n"
    )
    process = subprocess.Popen(
        [*NETVISION, "run", "--config", str(config)], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        assert process.stderr is not None
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            lines.append(line)
            if "identified VU-MAP" in line:
                break
        assert any("identified VU-MAP" in line for line in lines), "".join(lines)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_demo_prints_where_each_service_runs():
    process = subprocess.Popen(
        [*NETVISION, "--log-level", "warning", "demo"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Press Ctrl+C" in line:
                break
        output = "".join(lines)
        assert "simulator" in output and "/dev/pts/" in output
        assert "ups serial" in output
        # The printed simctl line plays a scenario against the running demo's simulator.
        command = next(line.split() for line in lines if line.strip().startswith("netvision simctl "))
        assert command[3:] == ["scenario", "mains_failure"]
        assert Path(command[2]).is_socket()
        result = subprocess.run(
            [*NETVISION, *command[1:]], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"ok": True, "scenario": "mains_failure"}
        state = subprocess.run(
            [*NETVISION, "simctl", command[2], "state"], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
        power = json.loads(state.stdout)["state"]["power"]
        assert power["mains_present"] is False and power["path"] == "inverter"  # on battery
        assert "SNMP is read-only" in output and "write_community" in output  # how to turn writes on
        assert "upsc ups@127.0.0.1:3493" in output and "add a NUT user" in output
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
        assert not Path(command[2]).exists()  # the socket went with the demo's data
    finally:
        if process.poll() is None:
            process.kill()
