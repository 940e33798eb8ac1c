"""The Debian-native deployment's services, run for real: Debian's VictoriaMetrics takes
every argument of deploy/debian/victoria-metrics.default and answers. (The units and
hub.env are checked without starting anything in tests/unit/test_deploy_debian.py.)"""

from __future__ import annotations

import re
import subprocess
import urllib.request
from pathlib import Path

from tests.support.processes import find_binary, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEBIAN = ROOT / "deploy/debian"


def test_victoria_metrics_starts_with_the_shipped_arguments(tmp_path: Path) -> None:
    """/etc/default/victoria-metrics's ARGS, with only the folder, the port and the scrape
    file's place moved here: Debian's victoria-metrics takes every flag and answers."""
    text = (DEBIAN / "victoria-metrics.default").read_text()
    found = re.search(r'^ARGS="([^"]*)"', text, re.MULTILINE)
    assert found
    port = free_port()
    args = (found.group(1)
            .replace("/var/lib/victoria-metrics", str(tmp_path / "data"))
            .replace("127.0.0.1:8428", f"127.0.0.1:{port}")
            .replace("/etc/victoria-metrics/stockwarden-hub.yaml",
                     str(ROOT / "dashboards/scrape/stockwarden-hub.yaml"))).split()
    assert "-dedup.minScrapeInterval=1ms" in args and "-retentionPeriod=5y" in args
    binary = find_binary("victoria-metrics", "/usr/bin/victoria-metrics")
    log = (tmp_path / "vm.log").open("wb")
    process = subprocess.Popen([binary, *args], stdout=log, stderr=subprocess.STDOUT)

    def healthy() -> bool:
        if process.poll() is not None:  # it exits at once on a flag it does not know
            raise AssertionError((tmp_path / "vm.log").read_text())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as answer:
            return answer.status == 200

    try:
        wait_for(healthy, 30, "victoria-metrics")
    finally:
        process.terminate()
        process.wait(15)
        log.close()
