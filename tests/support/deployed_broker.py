"""A real Mosquitto started from a shipped config file (deploy/mosquitto/mosquitto.conf
or deploy/debian/mosquitto.conf), with its paths and ports moved into a test folder.

Only what cannot be the same in a test is changed: folders, port numbers, and, as
root, `user root` (mosquitto would otherwise drop to a user that cannot read our
temporary folder). Every other line runs as shipped."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.services import Mosquitto, find_binary, free_port


class DeployedMosquitto(Mosquitto):
    def __init__(self, workdir: Path, config: Path, paths: dict[str, Path]) -> None:
        super().__init__(workdir)
        self.config = config
        self.paths = paths  # folder in the shipped file -> folder here
        self.health_port = free_port()

    def rendered_config(self) -> str:
        text = self.config.read_text()
        for shipped, here in self.paths.items():
            text = text.replace(shipped, f"{here}/")
        text = re.sub(r"^listener 1883$", f"listener {self.port} 127.0.0.1", text, flags=re.M)
        text = re.sub(r"^listener 1880 127.0.0.1$", f"listener {self.health_port} 127.0.0.1",
                      text, flags=re.M)
        if os.geteuid() == 0:
            text += "\nuser root\n"
        return text

    def command(self) -> list[str]:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(self.rendered_config())
        return [find_binary("mosquitto", "/usr/sbin/mosquitto"), "-c", str(conf)]
