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
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        web.wait(timeout=60)
    upgrade = (DEPLOY / "upgrade.md").read_text(encoding="utf-8")
    assert "systemctl restart otklik-web" in upgrade and "reload otklik-web" not in upgrade
