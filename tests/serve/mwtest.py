"""tests/serve/mwtest.py - what run.py, follow.py and milter_run.py share.

It owns: the ok/FAIL checks and their counts, a free loopback port, the
temporary directory a test runs in, and Serve, the real `mailward serve`
process on a free HTTP port (waits for /healthz, reads the admin token, HTTP
requests, the admin API, the Dovecot policy door, `mailward ctl`, stop).
Each test subclasses Serve with its own arguments and keeps its own checks.
The tests import it from their own directory (Python puts the script's
directory on sys.path).
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

checks = 0
failures = 0
_clock = None


def timed():
    """from now on each check's line ends with the seconds since this call"""
    global _clock
    _clock = time.time()


def check(cond, what):
    """one check: prints "ok   WHAT" or "FAIL WHAT" and counts it"""
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
    when = f"  [{time.time() - _clock:.1f}s]" if _clock is not None else ""
    print(f"{'ok  ' if cond else 'FAIL'} {what}{when}", flush=True)


def passed():
    """the closing count: "N/M checks passed" """
    return f"{checks - failures}/{checks} checks passed"


def main(prefix, body, summary=passed, on_failure=None):
    """runs body(TMP) in a new temporary directory (on_failure(TMP) before
    it is removed if a check failed), prints summary(); 1 if a check failed"""
    top = tempfile.mkdtemp(prefix=prefix)
    try:
        body(top)
    finally:
        if failures and on_failure:
            on_failure(top)
        shutil.rmtree(top, ignore_errors=True)
    print(summary())
    return 1 if failures else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Serve:
    """`MW serve --state-dir STATE --http 127.0.0.1:PORT ARGS...` with its
    output in STATE.log; with wait, ready once /healthz answers (10 s)"""

    def __init__(self, mw, state, args, wait=True):
        self.mw = mw
        self.state = state
        self.http_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.log_path = state + ".log"
        self.log = open(self.log_path, "ab")
        self.p = subprocess.Popen([mw, "serve", "--state-dir", state, "--http", f"127.0.0.1:{self.http_port}"]
                                  + list(args), stdout=self.log, stderr=self.log)
        if not wait:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("daemon did not start: " + open(self.log_path).read())
        self.token = open(os.path.join(state, "admin.token")).read().strip()

    def request(self, method, path, body=None, headers=None, timeout=5):
        c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=timeout)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def api(self, path, obj=None):
        """the admin API with the token: GET, or POST obj as JSON; (status, JSON)"""
        h = {"Authorization": "Bearer " + self.token, "Content-Type": "application/json"}
        if obj is None:
            st, data = self.request("GET", path, headers=h)
        else:
            st, data = self.request("POST", path, body=json.dumps(obj), headers=h)
        return st, json.loads(data or b"null")

    def policy(self, cmd, login, remote, pwhash, success=None):
        """Dovecot's auth policy request (command allow or report)"""
        o = {"login": login, "remote": remote, "pwhash": pwhash, "protocol": "imap",
             "session_id": f"{remote}-{time.time()}"}
        if success is not None:
            o["success"] = success
            o["policy_reject"] = False
        st, data = self.request("POST", f"/?command={cmd}", body=json.dumps(o),
                                headers={"Content-Type": "application/json"})
        return st, json.loads(data)

    def ctl(self, *args):
        """`mailward ctl ARGS...` against this daemon"""
        return subprocess.run([self.mw, "ctl", "--state-dir", self.state, "--url", self.url] + list(args),
                              capture_output=True, text=True, timeout=10)

    def text(self):
        """the daemon's log so far"""
        return open(self.log_path, errors="replace").read()

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """signal the daemon, wait for it (SIGKILL after timeout s); its status"""
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
        self.log.close()
        return rc
