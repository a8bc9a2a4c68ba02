"""The SAM CLI with its Lambda containers on the host network, for a Docker engine without a bridge
(`dockerd --bridge=none`, as scripts/test-sam-local runs it: no container traffic leaves loopback).

SAM publishes each container's emulator port (8080 inside) on a free host port it picked; with no
bridge there is nothing to publish from. Here each container shares the host's network instead, and
its emulator (aws-lambda-rie) listens on the port SAM picked, its Runtime API on another free one,
both on 127.0.0.1, so several containers (start-api's functions) never collide.

  python scripts/sam_host_network.py local invoke ...   (any `sam` arguments)
"""

import socket
import sys

import docker.models.containers
from samcli.local.docker import container


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_create_container = container.Container.create


def create_on_host_network(self, *args, **kwargs):
    self._container_opts = dict(self._container_opts or {}, network_mode="host")
    if self._entrypoint and self._entrypoint[0].endswith("aws-lambda-rie"):
        self._entrypoint = list(self._entrypoint) + [
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{self.rapid_port_host}",
            "--runtime-api-address",
            f"127.0.0.1:{free_port()}",
        ]
    return _create_container(self, *args, **kwargs)


_docker_create = docker.models.containers.ContainerCollection.create


def create_without_published_ports(self, image, command=None, **kwargs):
    # The host network has nothing to publish: the emulator already listens on SAM's port.
    if kwargs.get("network_mode") == "host":
        kwargs.pop("ports", None)
    return _docker_create(self, image, command, **kwargs)


container.Container.create = create_on_host_network
docker.models.containers.ContainerCollection.create = create_without_published_ports

if __name__ == "__main__":
    from samcli.cli.main import cli

    sys.argv[0] = "sam"
    sys.exit(cli())
