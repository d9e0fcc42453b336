"""The Prometheus alert rules (deploy/prometheus/alerts.yml), checked offline as promtool
would: the file's shape, every expression parsed (a PromQL parser with Prometheus' own
functions and type rules), and every metric it names exported by a real web process."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import promql_parser
import pytest
import yaml

from tests.servers import DaphneServer

ROOT = Path(__file__).resolve().parent.parent
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
DURATION = re.compile(r"^(\d+[smhdw])+$")
TEMPLATE = re.compile(r"{{(.*?)}}")
TEMPLATE_PART = re.compile(
    r"^\s*(\$labels\.\w+|\$value(\s*\|\s*(humanize|humanizePercentage|humanizeDuration))?)\s*$"
)
# Series Prometheus makes itself for every target.
SCRAPE_SERIES = {"up"}
# What the issue asks to be alerted on, and a metric each such rule must use.
REQUIRED = {
    "error rate": "django_http_responses_total_by_status_total",
    "p99 ack latency": "learnai_operation_commit_seconds_bucket",
    "commit retries": "learnai_commit_rounds_total",
    "sockets near limits": "learnai_websocket_connections",
    "Celery queue growing": "learnai_celery_queue_length",
    "worker missing": "learnai_celery_worker_heartbeat_age_seconds",
    "database pool exhausted": "learnai_db_pool_waiting",
}


def rules() -> list[dict]:
    document = yaml.safe_load(ALERTS.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def exported_names(metrics_text: str) -> set[str]:
    """Every series name a /metrics page can carry, from its TYPE lines."""
    names = set(SCRAPE_SERIES)
    for line in metrics_text.splitlines():
        if not line.startswith("# TYPE "):
            continue
        _, _, name, kind = line.split()
        if kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        elif kind == "summary":
            names |= {name, f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
    return names


def test_the_file_has_the_shape_prometheus_loads():
    document = yaml.safe_load(ALERTS.read_text())
    groups = document["groups"]
    assert len({g["name"] for g in groups}) == len(groups), "group names must be unique"
    names = [rule["alert"] for rule in rules()]
    assert len(set(names)) == len(names), "alert names must be unique"
    for rule in rules():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"]), rule["alert"]
        assert DURATION.match(rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert {"summary", "description"} <= set(rule["annotations"]), rule["alert"]


def test_every_expression_parses_and_every_template_names_what_the_expression_keeps():
    for rule in rules():
        metric_names(rule["expr"])  # raises ValueError with the parser's reason
        kept = {
            label.strip()
            for group in re.findall(r"\bby\s*\(([^)]*)\)", rule["expr"])
            for label in group.split(",")
        }
        for text in rule["annotations"].values():
            for part in TEMPLATE.findall(text):
                assert TEMPLATE_PART.match(part), f"{rule['alert']}: {{{{{part}}}}}"
                label = re.match(r"\s*\$labels\.(\w+)", part)
                if label and kept:  # an aggregation keeps only its `by` labels
                    assert label[1] in kept, f"{rule['alert']}: $labels.{label[1]} is dropped"


def test_the_parser_refuses_what_promtool_refuses():
    """Proof the check above can fail."""
    for broken in (
        "sum(rate(learnai_websocket_connections[5m])",  # unclosed
        "rate(learnai_websocket_connections) > 1",  # rate needs a range
        "histogram_quantile(0.99, learnai_operation_commit_seconds_bucket[5m])",  # a range
        "no_such_function(up)",
    ):
        with pytest.raises(ValueError):
            metric_names(broken)


def test_the_issue_list_is_covered():
    used = set().union(*(metric_names(rule["expr"]) for rule in rules()))
    missing = {what: name for what, name in REQUIRED.items() if name not in used}
    assert not missing, missing


@pytest.mark.django_db
def test_every_metric_the_rules_use_is_exported_by_a_web_process():
    server = DaphneServer(log_name="alerts-metrics.log")
    try:
        with urllib.request.urlopen(f"{server.base_url}/metrics", timeout=30) as response:
            exported = exported_names(response.read().decode())
    finally:
        server.stop()
    for rule in rules():
        unknown = metric_names(rule["expr"]) - exported
        assert not unknown, f"{rule['alert']} uses metrics no process exports: {unknown}"
    assert "learnai_db_pool_nonexistent" not in exported  # the set is not "everything"


def test_compose_prometheus_loads_the_rules_and_scrapes_the_job_they_name():
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["/etc/prometheus/alerts.yml"]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    for rule in rules():
        for job in re.findall(r'job="([^"]+)"', rule["expr"]):
            assert job in jobs, f"{rule['alert']}: no scrape job {job}"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["prometheus"]["volumes"]
    assert "./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in mounts
    targets = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert targets == ["alertmanager:9093"] and "alertmanager" in compose["services"]
