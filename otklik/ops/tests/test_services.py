"""Production settings against real local peers: S3-compatible media (moto's server) and Sentry
(a local HTTP server standing in for it), each in a fresh process that reads the environment."""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    prelude = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'otklik.settings')\n"
        "django.setup()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_media_on_s3_compatible_storage(tmp_path):
    moto_server = pytest.importorskip("moto.server")
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        import boto3

        creds = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}
        boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", **creds).create_bucket(
            Bucket="otklik-media"
        )
        env = {
            "OTKLIK_MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "otklik-media",
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_S3_REGION_NAME": "us-east-1",
            "OTKLIK_VAR_DIR": str(tmp_path),
        }
        done = _django(
            "from django.core.files.base import ContentFile\n"
            "from django.core.files.storage import default_storage as s\n"
            "name = s.save('elections/reports/photo.jpg', ContentFile(b'jpeg-bytes'))\n"
            "again = s.save('elections/reports/photo.jpg', ContentFile(b'other'))\n"
            "print(type(s._wrapped).__name__, name, again != name, s.open(name).read().decode(),\n"
            "      'Signature=' in s.url(name))\n",
            env,
        )
        assert done.returncode == 0, done.stderr
        kind, name, renamed, body, signed = done.stdout.split()
        assert kind == "S3Storage" and name.startswith("elections/reports/photo")
        assert renamed == "True" and body == "jpeg-bytes" and signed == "True"  # private, signed links
        keys = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", **creds).list_objects_v2(
            Bucket="otklik-media"
        )["Contents"]
        assert {k["Key"] for k in keys} >= {f"media/{name}"}
        assert not (tmp_path / "media").exists()  # nothing on the local disk
    finally:
        server.stop()


def test_errors_reach_sentry_when_a_dsn_is_set(tmp_path):
    received: list[bytes] = []

    class Sentry(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "br":
                body = pytest.importorskip("brotli").decompress(body)
            received.append(body)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Sentry)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        dsn = f"http://publickey@127.0.0.1:{httpd.server_port}/1"
        done = _django(
            "import sentry_sdk\n"
            "try:\n    1 / 0\nexcept ZeroDivisionError:\n    sentry_sdk.capture_exception()\n"
            "sentry_sdk.flush(5)\n",
            {"SENTRY_DSN": dsn, "OTKLIK_VAR_DIR": str(tmp_path)},
        )
        assert done.returncode == 0, done.stderr
    finally:
        httpd.shutdown()
    assert received and any(b"ZeroDivisionError" in body for body in received)
