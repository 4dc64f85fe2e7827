"""Drive a program on a pseudo-terminal: spawn, wait for text, type lines."""
import os, pty, re, select, signal, subprocess, time


class PtyProc:
    def __init__(self, argv, cwd, env, rows=40, cols=200):
        self.master, slave = pty.openpty()
        import fcntl, struct, termios
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        def make_controlling_tty():
            # a new session with the pty as its controlling terminal, so ^C raises SIGINT
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave,
                                     start_new_session=True, close_fds=True, preexec_fn=make_controlling_tty)
        os.close(slave)
        self.buf = ""

    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.buf += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern, timeout=20, start=0):
        """Waits until pattern (regex) appears in the output after index start; returns the match."""
        rx = re.compile(pattern)
        deadline = time.time() + timeout
        while True:
            m = rx.search(self.buf, start)
            if m:
                return m
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; output so far:\n{self.buf[-3000:]}")
            if not self._read(min(left, 0.2)) and self.proc.poll() is not None:
                m = rx.search(self.buf, start)
                if m:
                    return m
                raise AssertionError(f"process exited ({self.proc.returncode}) before {pattern!r}:\n{self.buf[-3000:]}")

    def send(self, text):
        os.write(self.master, text.encode())

    def interrupt(self):
        self.send("\x03")

    def wait(self, timeout=20, kill=True):
        """Waits for the exit status; on timeout kills the process and fails, or with
        kill=False raises TimeoutError and leaves it running."""
        deadline = time.time() + timeout
        while self.proc.poll() is None and time.time() < deadline:
            self._read(0.1)
        if self.proc.poll() is None:
            if not kill:
                raise TimeoutError()
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise AssertionError("process did not exit")
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)
