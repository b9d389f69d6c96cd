"""A TCP relay in front of a real Redis that a test can cut, for outages that keep the data.

`RedisRelay(upstream_port)` listens on 127.0.0.1 at a free port and relays each connection
to Redis. `cut("refuse")` drops every live connection and closes each new one at once (a
stopped server, a partition that resets); `cut("blackhole")` drops them too, then accepts
new ones and never answers (a firewall that swallows packets, a hung server); `restore()`
relays again. Redis keeps its keys meanwhile, as it does across a partition or a restart
with `--appendonly yes`. One thread per connection; `close()` stops everything.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Literal

Mode = Literal["relay", "refuse", "blackhole"]


class RedisRelay:
    def __init__(self, upstream_port: int = 6379) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode: Mode = "relay"
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cut(self, mode: Literal["refuse", "blackhole"]) -> None:
        self.mode = mode
        self._drop_all()

    def restore(self) -> None:
        self._drop_all()  # a blackholed connection would otherwise stay silent
        self.mode = "relay"

    def close(self) -> None:
        self._closed = True
        self._drop_all()
        self._listener.close()

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _keep(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._open.extend(sockets)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.mode == "refuse":
                client.close()
            elif self.mode == "blackhole":
                self._keep(client)  # read nothing, answer nothing
            else:
                try:
                    server = socket.create_connection(self.upstream, timeout=2)
                except OSError:
                    client.close()
                    continue
                self._keep(client, server)
                threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        pair = {client: server, server: client}
        try:
            while True:
                readable, _, _ = select.select(list(pair), [], [], 1.0)
                if self._closed:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):  # dropped by cut()/close()
            return
        finally:
            for sock in pair:
                with contextlib.suppress(OSError):
                    sock.close()
