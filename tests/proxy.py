"""A TCP proxy a test can sever and restore: the app's link to its database, cut on demand."""

import contextlib
import socket
import threading


class SeverableProxy:
    """Forwards 127.0.0.1:<port> to a target; `sever()` drops every link, black-holes new ones."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.severed = threading.Event()
        self.links: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.links.append(client)
            if self.severed.is_set():
                continue  # accepted but never answered: the app's connect timeout must fire
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.links.append(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.severed.is_set():
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.close()

    def sever(self) -> None:
        self.severed.set()
        with self.lock:
            for link in self.links:
                with contextlib.suppress(OSError):
                    link.shutdown(socket.SHUT_RDWR)
                link.close()
            self.links.clear()

    def restore(self) -> None:
        with self.lock:
            for link in self.links:  # the black-holed ones
                link.close()
            self.links.clear()
        self.severed.clear()

    def close(self) -> None:
        self.closed = True
        self.sever()
        self.listener.close()
