"""Production settings: `check --deploy` is clean and a missing SECRET_KEY stops the start."""

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.test_health import LEARNAI_METRICS

BASE_DIR = Path(__file__).resolve().parent.parent

# Variables that would change what the settings see; the child decides them all itself.
_DROPPED = {
    "PYTEST_VERSION",  # the settings would believe they run under pytest
    "PYTEST_CURRENT_TEST",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SETTINGS_MODULE",
    "SILENCED_SYSTEM_CHECKS",
}


def _production_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),  # about 67 characters, all random
        ALLOWED_HOSTS="docs.example.org",
        CSRF_TRUSTED_ORIGINS="https://docs.example.org",
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        SILENCED_SYSTEM_CHECKS="",
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, f"check --deploy failed:\n{result.stdout}\n{result.stderr}"
    assert "no issues" in result.stdout, result.stdout


def test_check_deploy_catches_a_missing_tls_setting():
    """Proof the check above can fail: HSTS off is reported (security.W004)."""
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=_production_env(SECURE_HSTS_SECONDS="0")
    )
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


def test_settings_refuse_to_load_without_secret_key():
    # An empty value, not a missing one: a developer's .env could otherwise fill it in.
    result = _manage("check", env=_production_env(SECRET_KEY=""))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_debug_still_runs_without_secret_key():
    """The other side of the rule: development needs no secret."""
    result = _manage("check", env=_production_env(SECRET_KEY="", DEBUG="true"))
    assert result.returncode == 0, result.stderr


# --- The deployment files agree with the code ------------------------------------------
# Docker cannot run on every machine that runs these tests, so the files are checked here.


def _read(name: str) -> str:
    return (BASE_DIR / name).read_text()


def _makefile_daphne_flags() -> list[str]:
    lines = _read("Makefile").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("DAPHNE_FLAGS ?="))
    text = lines[start].split("?=", 1)[1]
    i = start
    while lines[i].rstrip().endswith("\\"):
        text = text.rstrip().removesuffix("\\") + " " + lines[i + 1]
        i += 1
    return text.split()


def _dockerfile_cmd() -> list[str]:
    text = _read("Dockerfile").replace("\\\n", " ")
    cmd = next(line for line in text.splitlines() if line.startswith("CMD "))
    return json.loads(cmd.removeprefix("CMD "))


def test_dockerfile_runs_daphne_with_the_makefile_flags():
    cmd = _dockerfile_cmd()
    flags = _makefile_daphne_flags()
    assert cmd[:5] == ["daphne", "-b", "0.0.0.0", "-p", "8000"]
    assert cmd[-1] == "config.asgi:application"
    assert cmd[5:-1] == [*flags, "--proxy-headers"], "Dockerfile CMD and DAPHNE_FLAGS differ"


def procfile_commands() -> dict[str, list[str]]:
    """The Procfile's process types and their commands, split as the shell splits them."""
    commands = {}
    for line in _read("Procfile").splitlines():
        match = re.match(r"^([A-Za-z0-9_-]+):\s*(.+)$", line)  # honcho's own pattern
        if match:
            commands[match[1]] = shlex.split(match[2])
    return commands


def test_procfile_runs_daphne_with_the_makefile_flags():
    web = procfile_commands()["web"]
    assert web[:5] == ["daphne", "-b", "${HOST:-127.0.0.1}", "-p", "${PORT:-8000}"]
    assert web[-1] == "config.asgi:application"
    assert web[5:-1] == _makefile_daphne_flags(), "Procfile web and DAPHNE_FLAGS differ"


def test_procfile_runs_one_worker_and_one_beat_with_an_ignored_schedule():
    commands = procfile_commands()
    assert list(commands) == ["web", "worker", "beat", "sandbox"]  # web first: honcho's PORT
    worker = commands["worker"]
    assert worker[:4] == ["celery", "-A", "config", "worker"]
    assert worker[worker.index("--concurrency") + 1] == "2"
    beat = commands["beat"]
    celery = beat[beat.index("celery") :]
    assert celery[:4] == ["celery", "-A", "config", "beat"]
    # Code runs only on the sandbox worker, one run at a time; the worker above never takes it.
    sandbox = commands["sandbox"]
    assert sandbox[:6] == ["celery", "-A", "config", "worker", "-Q", "sandbox"]
    assert sandbox[sandbox.index("--concurrency") + 1] == "1" and "-Q" not in worker
    schedule = celery[celery.index("--schedule") + 1]
    assert beat[:4] == ["mkdir", "-p", str(Path(schedule).parent), "&&"]
    # beat's state (a shelve: several files next to this name) must never be committed.
    for path in (schedule, f"{schedule}.db", f"{schedule}.dat"):
        ignored = subprocess.run(
            ["git", "check-ignore", "--quiet", "--no-index", path], cwd=BASE_DIR, check=False
        )
        assert ignored.returncode == 0, f"{path} is not ignored by git"


def test_make_run_starts_the_procfile_with_honcho_when_celery_queues():
    text = _read("Makefile").replace("\\\n", " ")
    recipe = text.split("\nrun: migrate\n", 1)[1].split("\n\n", 1)[0]
    assert "manage.py seed --if-empty" in recipe
    assert '[ "$$mode" = queue ]' in recipe
    assert "CELERY_TASK_ALWAYS_EAGER" in text  # the settings decide, .env included
    honcho = shlex.split(re.search(r"\$\(BIN\)/honcho start[^;]*", recipe)[0])
    assert honcho[1:] == [
        "start",
        "--procfile",
        "Procfile",
        "--env",
        "/dev/null",
        "--port",
        "$(PORT)",
    ]
    assert "HOST=$(HOST)" in recipe and "PYTHONUNBUFFERED=1" in recipe
    # Without Redis: one daphne process, as before.
    assert "$(BIN)/daphne -b $(HOST) -p $(PORT) $(DAPHNE_FLAGS) config.asgi:application" in recipe
    assert re.search(r"^honcho==[\d.]+", _read("requirements-dev.txt"), re.MULTILINE)


def test_dockerfile_runs_as_a_non_root_user_with_a_healthcheck():
    text = _read("Dockerfile")
    assert text.startswith("# syntax=") and "FROM python:3.11-slim" in text
    assert "bubblewrap libseccomp2" in text, "the code sandbox's runners need both"
    assert re.search(r"^USER app$", text, re.MULTILINE)
    assert "HEALTHCHECK" in text and (BASE_DIR / "deploy" / "healthcheck.py").exists()
    assert "collectstatic --no-input" in text
    # The build-time key must not become part of the image's environment.
    assert not re.search(r"^ENV .*SECRET_KEY", text, re.MULTILINE)


def test_compose_file_describes_the_stack():
    compose = yaml.safe_load(_read("docker-compose.yml"))
    services = compose["services"]
    assert set(services) >= {
        "postgres",
        "redis",
        "migrate",
        "web",
        "worker",
        "beat",
        "sandbox",
        "prometheus",
        "grafana",
    }
    for name in ("migrate", "web", "worker", "beat"):
        service = services[name]
        assert service["env_file"] == [".env"], name
        assert service["environment"]["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY in .env}"
        assert service["image"] == "learnai-docs:latest", name
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--no-input"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert "command" not in services["web"], "web runs the image's daphne CMD"
    assert services["worker"]["command"][:5] == ["celery", "-A", "config", "worker", "-l"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    sandbox = services["sandbox"]["command"]
    assert sandbox[:6] == ["celery", "-A", "config", "worker", "-Q", "sandbox"]
    assert "-Q" not in services["worker"]["command"], "the default worker must not run code"
    assert services["postgres"]["image"] == "postgres:15" and services["postgres"]["healthcheck"]
    assert services["redis"]["image"] == "redis:7" and services["redis"]["healthcheck"]


def test_prometheus_scrapes_the_web_service():
    config = yaml.safe_load(_read("deploy/prometheus.yml"))
    web = next(job for job in config["scrape_configs"] if job["job_name"] == "learnai-web")
    assert web["metrics_path"] == "/metrics"
    assert web["static_configs"][0]["targets"] == ["web:8000"]
    hosts = _env_example_values()["ALLOWED_HOSTS"].split(",")
    assert "web" in hosts, "the scrape's Host header web:8000 would get 400"


def test_grafana_dashboard_shows_every_metric():
    datasources = yaml.safe_load(_read("deploy/grafana/provisioning/datasources/prometheus.yml"))
    uid = datasources["datasources"][0]["uid"]
    dashboard = json.loads(_read("deploy/grafana/dashboards/learnai.json"))
    exprs = " ".join(
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    )
    for name in (*LEARNAI_METRICS, "django_http_requests", "django_http_responses"):
        assert name in exprs, name
    for quantile in ("0.5", "0.95", "0.99"):
        assert f"histogram_quantile({quantile}, sum by (le) (rate(learnai_operation_commit" in exprs
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == uid, panel["title"]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def _settings_env_names() -> set[str]:
    text = _read("config/settings.py")
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", text))


def _env_example_values() -> dict[str, str]:
    values = {}
    for line in _read(".env.example").splitlines():
        match = re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match[1]] = match[2]
    return values


def test_env_example_documents_every_setting():
    names = _settings_env_names()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG"} <= names  # the regex works
    lines = _read(".env.example").splitlines()
    undocumented = []
    for name in sorted(names):
        where = [i for i, line in enumerate(lines) if re.match(rf"^(# )?{name}=", line)]
        if not where:
            undocumented.append(name)
            continue
        comment, i = [], where[0] - 1
        while i >= 0 and lines[i].startswith("#"):
            comment.append(lines[i])
            i -= 1
        if "Default" not in " ".join(comment):
            undocumented.append(f"{name} (no comment with its default)")
    assert not undocumented, f".env.example lacks: {undocumented}"


def test_env_example_is_ready_for_compose():
    values = _env_example_values()
    assert values["DEBUG"] == "false"
    assert values["SECRET_KEY"] == "", "the example must not ship a usable key"
    assert values["DATABASE_URL"] == "postgres://postgres:postgres@postgres:5432/learnai"
    assert values["REDIS_URL"] == "redis://redis:6379/0"
    assert values["ALLOWED_HOSTS"] and values["CSRF_TRUSTED_ORIGINS"]
