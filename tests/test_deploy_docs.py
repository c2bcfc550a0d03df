"""docs/deploy/ as a newcomer follows it: the environment file reads the same in systemd (the units'
``EnvironmentFile=``) and in the administrator's shell (``set -a; . /etc/otklik/otklik.env``), and
every file, program and command the guide names exists."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy"
ROOT = DEPLOY.parent.parent
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def _systemd_values(path: Path) -> dict[str, str]:
    """What systemd's ``EnvironmentFile=`` gives each variable: the value, a pair of quotes around it
    removed."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := ASSIGNMENT.match(line):
            value = match[2].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            values[match[1]] = value
    return values


def test_the_environment_file_reads_the_same_in_a_shell_as_in_systemd() -> None:
    path = DEPLOY / "otklik.env"
    expected = _systemd_values(path)
    assert {"DATABASE_URL", "DEFAULT_FROM_EMAIL", "OTKLIK_SEND_REPLIES"} <= set(expected)
    names = " ".join(f'"${name}"' for name in expected)
    shell = subprocess.run(
        ["bash", "-c", f"set -a; . {path}; set +a; printf '%s\\0' {names}"],
        env={"PATH": "/usr/bin:/bin"},
        cwd=DEPLOY,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert shell.stderr == ""
    assert dict(zip(expected, shell.stdout.split("\0"), strict=False)) == expected


def test_the_units_run_programs_the_package_installs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = set(project["scripts"]) | {"celery", "gunicorn"}
    dependencies = " ".join(project["dependencies"])
    assert "celery[" in dependencies and "gunicorn>" in dependencies
    for unit in sorted((DEPLOY / "systemd").glob("*.service")):
        text = unit.read_text(encoding="utf-8")
        assert "EnvironmentFile=/etc/otklik/otklik.env" in text, unit.name
        for program in re.findall(r"/srv/otklik/\.venv/bin/([\w-]+)", text):
            assert program in installed, (unit.name, program)
    assert (ROOT / "otklik" / "gunicorn.py").is_file()  # -c python:otklik.gunicorn


def test_every_file_the_guide_copies_is_shipped() -> None:
    guide = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DEPLOY.glob("*.md")))
    copied = re.findall(r"\bapp/(docs/deploy/[\w./@*-]+)", guide)
    assert "docs/deploy/otklik.env" in copied and "docs/deploy/nginx/otklik.conf" in copied
    for name in copied:
        assert list(ROOT.glob(name)), name


def test_every_otklik_command_the_guide_runs_exists() -> None:
    from django.core.management import get_commands

    guide = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DEPLOY.glob("*.md")))
    blocks = "\n".join(re.findall(r"```bash\n(.*?)```", guide, flags=re.S))
    named = set(re.findall(r"(?:^\s*|/bin/|&&\s*|;\s*)otklik ([a-z][a-z_-]+)", blocks, flags=re.M))
    assert {"migrate", "backup", "restore_check", "collectstatic"} <= named
    assert named - set(get_commands()) - {name.replace("_", "-") for name in get_commands()} == set()


def _unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """A systemd unit file as sections of keys, each with its values in order (a key may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    section: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = sections.setdefault(line[1:-1], {})
        else:
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return sections


def test_the_web_server_listens_on_a_socket_unit_nginx_points_at() -> None:
    """otklik-web.socket holds the listening socket for otklik-web.service (which requires it and
    starts after it), on the address nginx's upstream and OTKLIK_BIND name; the guides enable it and
    stop it with the service (else a request would start the service again)."""
    socket_unit = _unit(DEPLOY / "systemd" / "otklik-web.socket")
    service = _unit(DEPLOY / "systemd" / "otklik-web.service")
    (address,) = socket_unit["Socket"]["ListenStream"]
    assert socket_unit["Socket"].get("Service", ["otklik-web.service"]) == ["otklik-web.service"]
    assert socket_unit["Install"]["WantedBy"] == ["sockets.target"]
    assert "otklik-web.socket" in " ".join(service["Unit"]["Requires"]).split()
    assert "otklik-web.socket" in " ".join(service["Unit"]["After"]).split()
    assert service["Service"]["Type"] == ["notify"]  # gunicorn tells systemd when it accepts
    assert "--bind" not in service["Service"]["ExecStart"][0]  # the socket comes from systemd
    nginx = (DEPLOY / "nginx" / "otklik.conf").read_text(encoding="utf-8")
    upstream = re.search(r"upstream otklik_web \{(.*?)\}", nginx, flags=re.S)
    assert upstream is not None
    assert re.findall(r"^\s*server\s+([^\s;]+)", upstream[1], flags=re.M) == [address]
    assert _systemd_values(DEPLOY / "otklik.env")["OTKLIK_BIND"] == address
    guide = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DEPLOY.glob("*.md")))
    commands = re.findall(r"^systemctl (enable --now|start|stop) (.*)$", guide, flags=re.M)
    web = [(verb, units) for verb, units in commands if "otklik-web" in units.split()]
    assert {verb for verb, _ in web} == {"enable --now", "start", "stop"}
    for verb, units in web:
        assert "otklik-web.socket" in units.split(), (verb, units)


def test_new_code_takes_a_restart_of_the_web_server_not_a_reload(tmp_path: Path) -> None:
    """otklik/gunicorn.py preloads the application in gunicorn's master: a reload (HUP) replaces the
    worker processes, forked from that master with the code it loaded at start. The upgrade procedure
    must therefore restart the web server after installing new code, not reload it."""
    import os
    import signal
    import sys

    import httpx

    from otklik.testing.stack import free_port, wait_for

    module = tmp_path / "otklik_reload_probe.py"
    code = (
        "import os\n"
        "def application(environ, start):\n"
        "    start('200 OK', [])\n"
        "    return [b'%s %%d' %% os.getpid()]\n"
    )
    module.write_text(code % "old", encoding="utf-8")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "OTKLIK_VAR_DIR": str(tmp_path / "var"),
        "OTKLIK_WEB_METRICS_DIR": str(tmp_path / "metrics"),
        "OTKLIK_BIND": f"127.0.0.1:{port}",
        "OTKLIK_WEB_WORKERS": "1",
        "XDG_RUNTIME_DIR": str(tmp_path),  # where gunicorn ≥ 27 would open its control socket
    }
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:otklik.gunicorn", "otklik_reload_probe:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    answers: list[str] = []

    def answered() -> bool:
        try:
            answers.append(httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text)
        except httpx.HTTPError:
            return False
        return True

    try:
        wait_for(answered, 60, "gunicorn to answer")
        first_worker = answers[-1].split()[1]
        module.write_text(code % "new", encoding="utf-8")  # the upgrade's new code
        os.kill(web.pid, signal.SIGHUP)
        wait_for(lambda: answered() and answers[-1].split()[1] != first_worker, 60, "a new worker")
        assert answers[-1].split()[0] == "old"  # the new worker runs the code loaded at start
        # no control interface (otklik/gunicorn.py): systemd and signals run the server (gunicorn ≥ 27
        # opens it beside the first worker, long before the reload's new worker answers)
        assert not (tmp_path / "gunicorn.ctl").exists()
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=60)
    upgrade = (DEPLOY / "upgrade.md").read_text(encoding="utf-8")
    assert "systemctl restart otklik-web" in upgrade and "reload otklik-web" not in upgrade


def test_a_restart_of_the_web_server_on_its_socket_unit_drops_no_request(tmp_path: Path) -> None:
    """docs/deploy/systemd/otklik-web.socket holds the listening socket and hands it to each gunicorn
    it starts (LISTEN_FDS / LISTEN_PID): while `systemctl restart otklik-web` stops the old server
    and the new one loads the application, connections wait in the kernel's backlog instead of
    being refused. Here the test holds the socket as systemd does and restarts gunicorn under a
    steady stream of requests; none may fail, and the ones sent after the old server exited are
    answered by the new one — as is one sent while no server ran at all."""
    import socket
    import threading
    import time
    import uuid

    import httpx

    from otklik.testing.stack import Stack, wait_for

    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)  # the socket unit's ListenStream
    stack = Stack(
        workdir=tmp_path,
        env={
            "DEBUG": "false",
            "SECRET_KEY": uuid.uuid4().hex * 2,
            "OTKLIK_VAR_DIR": str(tmp_path / "var"),
            "OTKLIK_WEB_METRICS_DIR": str(tmp_path / "metrics"),
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        listener=listener,
    )
    url = f"{stack.base_url}/healthz"
    # (sent at, answered at, status or the error) of every request, in the order they were sent
    outcomes: list[tuple[float, float, int | str]] = []
    stopping = threading.Event()

    def request() -> tuple[float, float, int | str]:
        sent = time.monotonic()
        try:  # a new connection each time, as a webhook sender opens one
            status: int | str = httpx.get(url, timeout=60).status_code
        except httpx.HTTPError as error:
            status = repr(error)
        return sent, time.monotonic(), status

    def drive() -> None:
        while not stopping.is_set():
            outcomes.append(request())

    def answered() -> bool:
        if stack.procs["web"].poll() is not None:
            raise RuntimeError(f"gunicorn exited: {stack.log_tail('web')}")
        return request()[2] == 200

    driver = threading.Thread(target=drive, daemon=True)
    try:
        old = stack.start_web("gunicorn", workers=1, threads=2)
        wait_for(answered, 90, "the first gunicorn to answer on the handed socket")
        driver.start()
        wait_for(lambda: len(outcomes) >= 20, 60, "requests to the first gunicorn")
        stack.kill("web")  # SIGTERM: gunicorn lets the requests in hand finish, then exits
        assert old.returncode == 0
        old_exited = time.monotonic()
        # No server runs now, and the kernel still takes a connection and its request into the
        # socket's backlog (without the socket unit: ConnectionRefusedError here).
        waiting = socket.create_connection(("127.0.0.1", stack.port), timeout=90)
        waiting.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        stack.start_web("gunicorn", workers=1, threads=2)
        with waiting, waiting.makefile("rb") as reply:
            in_the_gap = reply.readline()
        wait_for(lambda: sum(o[0] > old_exited for o in outcomes) >= 20, 90, "requests to the new gunicorn")
    finally:
        stopping.set()
        if driver.is_alive():
            driver.join(timeout=90)
        stack.stop()
        listener.close()
    failed = [o for o in outcomes if o[2] != 200]
    assert failed == [], failed[:5]
    assert in_the_gap.startswith(b"HTTP/1.1 200 "), in_the_gap
    after = [o for o in outcomes if o[0] > old_exited]
    assert len(after) >= 20  # sent when only the new server could answer them, and all answered
    assert len(outcomes) - len(after) >= 20
    upgrade = (DEPLOY / "upgrade.md").read_text(encoding="utf-8")
    assert "otklik-web.socket" in upgrade
