"""A loopback HTTP server whose every answer a test writes by hand, byte for byte, for what a
well-behaved fake cannot do: keep a connection open after the last event, never end a line,
answer with the wrong content type, or act as a proxy asking for credentials.

    srv = RawServer(handler)      # handler(conn, request, n) -> None; n counts requests from 0
    srv.port, srv.requests        # requests: [{"method", "path", "headers", "body"}]
    srv.close()

The handler owns the connection until it returns; the server closes it afterwards. Helpers:
sse_event(kind, data) frames one SSE event; completed_stream(text) gives a whole answer."""
import json, socket, threading


def sse_event(kind, data):
    return f"event: {kind}\ndata: {json.dumps(dict(data, type=kind))}\n\n".encode()


def completed_stream(text, rid="resp_1"):
    item = {"type": "message", "role": "assistant", "id": "msg_1", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}
    return (sse_event("response.created", {"response": {"id": rid}})
            + sse_event("response.output_item.done", {"output_index": 0, "item": item})
            + sse_event("response.completed", {"response": {"id": rid, "usage": {
                "input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}}))


def head(status, reason, headers):
    lines = [f"HTTP/1.1 {status} {reason}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class RawServer:
    def __init__(self, handler):
        self.handler = handler
        self.requests = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.threads = []
        t = threading.Thread(target=self.accept_loop, daemon=True)
        t.start()
        self.threads.append(t)

    def accept_loop(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            t = threading.Thread(target=self.serve, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def read_request(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        top, _, body = data.partition(b"\r\n\r\n")
        lines = top.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            headers[k.strip().lower()] = v.strip()
        want = int(headers.get("content-length", "0"))
        while len(body) < want:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return {"method": method, "path": path, "headers": headers, "body": body.decode("utf-8", "replace")}

    def serve(self, conn):
        try:
            req = self.read_request(conn)
            if req is None:
                return
            n = len(self.requests)
            self.requests.append(req)
            self.handler(conn, req, n)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stopping.set()
        self.sock.close()
