"""The fakes' shared scripting (:class:`otklik.intake.fakes.server.FakeServer`): a call of one of the
API's methods answered with a scripted error after some successful ones, the other methods untouched."""

from __future__ import annotations

import json
from urllib.request import urlopen

from otklik.intake.fakes.server import FakeServer, Request, Response


class FakeAPI(FakeServer):
    """An API whose method is the request's path."""

    def handle(self, request: Request) -> Response:
        method = request.path.strip("/")
        fault = self.method_fault(method)
        if fault is not None:
            return fault
        return Response(200, {"method": method})


def _call(fake: FakeServer, method: str) -> dict[str, str]:
    with urlopen(f"{fake.url}/{method}", timeout=5) as response:
        return json.loads(response.read())


def test_a_method_fails_after_the_successful_calls_asked_for_and_the_others_answer() -> None:
    with FakeAPI() as fake:
        fake.fail_method("wall.get", Response(200, {"error": "rate limit"}), after=2)
        fake.fail_method("wall.post", Response(200, {"error": "internal"}))
        answers = [_call(fake, "wall.get") for _ in range(4)]
        assert answers == [{"method": "wall.get"}] * 2 + [{"error": "rate limit"}, {"method": "wall.get"}]
        assert _call(fake, "users.get") == {"method": "users.get"}
        assert _call(fake, "wall.post") == {"error": "internal"}
        assert _call(fake, "wall.post") == {"method": "wall.post"}
