"""Local fakes of the outside APIs the connectors talk to, shared by tests and the demo.

Each fake is a real HTTP server on 127.0.0.1 with an ephemeral port (``http.server`` in a thread)
that answers with the payloads the real API documents, errors and rate limits included:
:class:`~.vk.FakeVK`, :class:`~.telegram.FakeTelegram`, :class:`~.social_json.FakeSocialFeed`,
:class:`~.rss.FakeNewsSite`, :class:`~.ok.FakeOK`, :class:`~.max.FakeMax`; ``otklik fake-sources``
runs them (:mod:`~.demo` wires them). Telethon is faked at its client interface
(:mod:`~.telethon_client`), not over MTProto; the demo serves that fake over HTTP
(:mod:`~.telethon_http`) so another process can read it.
"""
