"""Loopback TLS and proxy helpers for the CA / proxy tests (stdlib + the `openssl` command).

make_ca(dir)                 -> (ca_pem, cert_pem, key_pem): a throwaway CA and a server
                                certificate for 127.0.0.1 / localhost signed by it
TlsFront(cert, key, port)    terminates TLS on 127.0.0.1 and forwards the plain bytes to
                             127.0.0.1:port (the scripted fake server)
ConnectProxy(user, password) an HTTP proxy that only tunnels CONNECT, answers 407 unless the
                             request carries the expected Proxy-Authorization, and records
                             every request line and that header
"""
import base64, os, socket, ssl, subprocess, threading


def make_ca(d):
    ca_key, ca_pem = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr, cert = os.path.join(d, "srv.key"), os.path.join(d, "srv.csr"), os.path.join(d, "srv.pem")
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", ca_key, "-out", ca_pem, "-days", "2", "-subj", "/CN=ccodex test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
        "-out", cert, "-days", "2", "-extfile", ext)
    return ca_pem, cert, key


def _pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()  # the other direction's thread then stops with an OSError


class _Listener:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def close(self):
        self.closed = True
        self.sock.close()


class TlsFront(_Listener):
    def __init__(self, cert, key, backend_port):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.ctx.set_alpn_protocols(["http/1.1"])
        self.backend_port = backend_port
        self.handshakes = 0
        super().__init__()

    def _serve(self, c):
        try:
            t = self.ctx.wrap_socket(c, server_side=True)
        except (OSError, ssl.SSLError):
            c.close()
            return
        self.handshakes += 1
        b = socket.create_connection(("127.0.0.1", self.backend_port))
        threading.Thread(target=_pipe, args=(b, t), daemon=True).start()
        _pipe(t, b)


class ConnectProxy(_Listener):
    def __init__(self, user, password):
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.seen = []  # (request line, Proxy-Authorization or None)
        super().__init__()

    def _serve(self, c):
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            data = c.recv(4096)
            if not data:
                c.close()
                return
            head += data
        lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        auth = next((l.split(":", 1)[1].strip() for l in lines[1:]
                     if l.lower().startswith("proxy-authorization:")), None)
        self.seen.append((lines[0], auth))
        parts = lines[0].split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            c.close()
            return
        if auth != self.expected:
            c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nConnection: close\r\n"
                      b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            c.close()
            return
        host, port = parts[1].rsplit(":", 1)
        b = socket.create_connection((host, int(port)))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        threading.Thread(target=_pipe, args=(b, c), daemon=True).start()
        _pipe(c, b)
