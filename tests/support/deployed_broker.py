"""A real Mosquitto started from a shipped config file (deploy/mosquitto/mosquitto.conf
or deploy/debian/mosquitto.conf), with its paths and ports moved into a test folder.

Only what cannot be the same in a test is changed: folders, port numbers, and, as
root, `user root` (mosquitto would otherwise drop to a user that cannot read our
temporary folder). Every other line runs as shipped."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.support.processes import find_binary, free_port
from tests.support.services import Mosquitto


class DeployedMosquitto(Mosquitto):
    def __init__(self, workdir: Path, config: Path, paths: dict[str, Path],
                 includes: tuple[Path, ...] = ()) -> None:
        super().__init__(workdir)
        self.config = config
        self.paths = paths  # folder in the shipped file -> folder here
        # Files of the shipped include_dir; its folder must be in `paths`.
        self.includes = includes
        self.health_port = free_port()
        self.hub_port = free_port()  # the hub's own listener (1884 as shipped)

    def render(self, text: str) -> str:
        for shipped, here in self.paths.items():
            text = text.replace(shipped, f"{here}/")
        text = re.sub(r"^listener 1883$", f"listener {self.port} 127.0.0.1", text, flags=re.M)
        text = re.sub(r"^listener 1884$", f"listener {self.hub_port} 127.0.0.1", text,
                      flags=re.M)
        return re.sub(r"^listener 1880 127.0.0.1$", f"listener {self.health_port} 127.0.0.1",
                      text, flags=re.M)

    def command(self) -> list[str]:
        for include in self.includes:
            target = next(here for shipped, here in self.paths.items()
                          if shipped.rstrip("/").endswith("conf.d"))
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{include.stem}.conf").write_text(self.render(include.read_text()))
        shipped = self.config.read_text()
        every = "\n".join([shipped, *(include.read_text() for include in self.includes)])
        if not re.search(r"^listener 1884$", every, flags=re.M):
            self.hub_port = self.port  # a configuration without the hub's own listener
        text = self.render(shipped)
        if os.geteuid() == 0:
            text += "\nuser root\n"
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(text)
        return [find_binary("mosquitto", "/usr/sbin/mosquitto"), "-c", str(conf)]
