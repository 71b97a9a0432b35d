"""The AWS endpoint of the local stack: moto's ThreadedMotoServer in this process, and the
process environment that points every AWS client at it (botocore honours AWS_ENDPOINT_URL)."""

from __future__ import annotations

import errno
import logging
import os
import socket
import warnings
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from devtools import botocore_models, moto_fidelity

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
# moto accepts any credentials; these name themselves so nobody mistakes them for real ones
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local-stack", "AWS_SECRET_ACCESS_KEY": "local-stack-secret"}


class EndpointError(RuntimeError):
    pass


def _check_port_free(host: str, port: int) -> None:
    """ThreadedMotoServer.start() waits forever when its server cannot bind: check first."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise EndpointError(
                    f"port {port} for the moto server is in use; choose another (MOTO_PORT=...)"
                ) from error
            raise


def quiet_moto() -> None:
    """moto's server logs every request and warns about each resource type its CloudFormation
    does not model; the stack reports those once, its own way."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    logging.getLogger("moto").setLevel(logging.ERROR)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse AWS::", category=UserWarning)


class MotoEndpoint:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        _check_port_free(host, port)
        quiet_moto()
        moto_fidelity.apply()
        botocore_models.share()
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        self._server.stop()


def point_process_at(url: str) -> dict[str, str]:
    """Make every AWS client of this process (boto3, botocore, pynamodb) use the endpoint, with
    fake credentials and the local region; returns the variables set."""
    variables = {
        "AWS_ENDPOINT_URL": url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        **CREDENTIALS,
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(variables)
    boto3.DEFAULT_SESSION = None
    return variables


def client(service: str) -> Any:
    """A boto3 client for the stack's own work (deploying, polling), on the process endpoint."""
    return boto3.session.Session().client(service, region_name=REGION)
