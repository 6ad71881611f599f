"""The python3 language runner: serves the runtime protocol (libs/runtime/src/lib/protocol.ts) on the
unix socket in DISPATCH_RUNNER_SOCKET or the TCP port in DISPATCH_RUNNER_PORT (in a container).
Standard library only, so it starts fast and runs the same in a container image."""
import importlib
import io
import json
import os
import resource
import signal
import site
import socketserver
import sys
import threading
import time
import traceback

fn = None

# What a run keeps of its output unless the host says otherwise (DEFAULT_LOG_LIMIT_BYTES).
DEFAULT_LOG_LIMIT = 1024 * 1024


class InputError(Exception):
    """Raised by a function that rejects its input; reported as InputError."""


def error_of(kind, exc):
    return {
        "type": kind,
        "message": str(exc) or type(exc).__name__,
        "stacktrace": traceback.format_exception(type(exc), exc, exc.__traceback__),
    }


def lines(text):
    return [] if text == "" else text.rstrip("\n").split("\n")


class Budget:
    """What is left of a run's log limit, shared by its stdout and stderr."""

    def __init__(self, limit):
        self.limit = limit
        self.left = limit


class Capture(io.TextIOBase):
    """A run's stdout or stderr: kept up to the run's budget, the rest dropped and the stream marked cut."""

    def __init__(self, budget, name, notify=None):
        super().__init__()
        self.parts = []
        self.budget = budget
        self.cut = False
        self.name = name
        # A run someone follows: what it prints goes to the host as it is printed, too.
        self.notify = notify

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        kept = text if len(text) <= self.budget.left else text[: self.budget.left]
        if kept:
            self.parts.append(kept)
            self.budget.left -= len(kept)
            if self.notify:
                self.notify({"jsonrpc": "2.0", "method": "log", "params": {"stream": self.name, "text": kept}})
        if len(kept) < len(text):
            self.cut = True
        return len(text)

    def lines(self):
        kept = lines("".join(self.parts))
        if self.cut:
            kept.append(f"[truncated: the run printed more than {self.budget.limit} bytes; the rest was dropped]")
        return kept


def adopt(code_dir, files, user):
    """A spare runner's function arrives with its init: the code is written into the (empty) code
    directory, then, as root, the runner becomes the function's user for good, before any of it runs."""
    import base64

    root = os.path.realpath(code_dir)
    for entry in files or []:
        path = entry["path"]
        target = os.path.realpath(os.path.join(root, path))
        if os.path.isabs(path) or not target.startswith(root + os.sep):
            raise ValueError(f"code file {path} is outside the code")
        os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
        mode = 0o755 if entry.get("executable") else 0o644
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(descriptor, "wb") as out:
            out.write(base64.b64decode(entry["content"]))
    if user is not None:
        os.setgroups([])
        os.setresgid(user, user, user)
        os.setresuid(user, user, user)
        if os.getresuid() != (user, user, user):
            raise ValueError(f"could not become user {user}")


def init(request):
    global fn
    handler = request.get("handler") or ""
    code_dir = request["codeDir"]
    module_name, _, func_name = handler.rpartition(".")
    if not module_name or not func_name:
        raise ValueError(f"handler {handler!r} must be module.function, e.g. hello.handle")
    adopt(code_dir, request.get("files"), request.get("user"))
    deps = request.get("dependenciesDir")
    if deps:
        # The image's venv packages join this interpreter, as activating the venv would.
        for lib in ("lib", "lib64"):
            base = os.path.join(deps, "venv", lib)
            if os.path.isdir(base):
                for entry in os.listdir(base):
                    # Ahead of the interpreter's own packages, so the image's versions win.
                    before = list(sys.path)
                    site.addsitedir(os.path.join(base, entry, "site-packages"))
                    sys.path[:] = [p for p in sys.path if p not in before] + before
    sys.path.insert(0, code_dir)
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name.split(".")[0]:
            raise ValueError(f"handler module {module_name} not found") from exc
        raise ValueError(f"handler {handler} failed to load: {exc}") from exc
    except Exception as exc:  # a syntax error or a failing import in the user's module
        raise ValueError(f"handler {handler} failed to load: {exc}") from exc
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ValueError(f"handler {handler}: module {module_name} has no function {func_name}")
    fn = func


def run(request, notify=None):
    if request.get("streamLogs") is not True:
        notify = None
    deadline_ms = request.get("deadlineMs")
    if not deadline_ms:
        return run_once(request, notify)
    # A runner no host can stop (in a container) ends itself when a run passes its deadline.
    timer = threading.Timer(deadline_ms / 1000, past_deadline, [deadline_ms])
    timer.daemon = True
    timer.start()
    try:
        return run_once(request, notify)
    finally:
        timer.cancel()


def past_deadline(deadline_ms):
    reason = f"the function did not finish within {deadline_ms} ms"
    sys.__stderr__.write(reason + "\n")
    try:
        with open("/dev/termination-log", "w") as log:
            log.write(reason)
    except OSError:
        pass
    os._exit(2)


def run_once(request, notify=None):
    limit = request.get("logLimitBytes")
    budget = Budget(limit if isinstance(limit, int) and limit > 0 else DEFAULT_LOG_LIMIT)
    out, err = Capture(budget, "stdout", notify), Capture(budget, "stderr", notify)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    result, error = None, None
    started = time.perf_counter()
    try:
        result = fn(dict(request.get("context") or {}), request.get("payload"))
    except InputError as exc:
        error = error_of("InputError", exc)
    except Exception as exc:
        error = error_of("FunctionError", exc)
    finally:
        sys.stdout, sys.stderr = saved
    duration_ms = (time.perf_counter() - started) * 1000
    logs = {"stdout": out.lines(), "stderr": err.lines()}
    if out.cut or err.cut:
        logs["truncated"] = True
    try:
        context = {"logs": logs, "error": error, "durationMs": duration_ms}
        return json.dumps({"context": context, "payload": None if error else result})
    except (TypeError, ValueError) as exc:
        error = {"type": "FunctionError", "message": f"the result is not JSON: {exc}", "stacktrace": []}
        context = {"logs": logs, "error": error, "durationMs": duration_ms}
        return json.dumps({"context": context, "payload": None})


def answer(line, notify=None):
    """One request line's answer; `notify` sends a notification line (a run's output) before it."""
    request_id = None
    try:
        request = json.loads(line)
        request_id = request.get("id")
        method, params = request.get("method"), request.get("params") or {}
        if method == "init":
            init(params)
            return json.dumps({"jsonrpc": "2.0", "id": request_id, "result": {}})
        if method == "run":
            if fn is None:
                raise ValueError("the runner has no function: init first")
            # run() returns the RunResponse already serialised: spliced in, not parsed again.
            return '{"jsonrpc":"2.0","id":%s,"result":%s}' % (json.dumps(request_id), run(params, notify))
        error = {"code": -32601, "message": f"no method {method}"}
    except json.JSONDecodeError as exc:
        error = {"code": -32700, "message": str(exc)}
    except Exception as exc:
        error = {"code": 1, "message": str(exc)}
    return json.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


# One invocation at a time for the whole process (a run's output capture is the process's): in a
# container several connections share the runner. Counted as soon as read, under a lock of its own, so a
# stopping container also waits for the calls queued behind the one running.
RUN_LOCK = threading.Lock()
COUNT_LOCK = threading.Lock()
in_flight = 0


def count(delta):
    global in_flight
    with COUNT_LOCK:
        in_flight += delta


class Handler(socketserver.StreamRequestHandler):
    """One JSON-RPC request per line, answered in order."""

    def handle(self):
        # A function's threads may print at once: one line is written at a time.
        write_lock = threading.Lock()

        def send(message):
            with write_lock:
                self.wfile.write(json.dumps(message).encode() + b"\n")
                self.wfile.flush()

        for line in self.rfile:
            count(1)
            try:
                with RUN_LOCK:
                    reply = answer(line, send)
                with write_lock:
                    self.wfile.write(reply.encode() + b"\n")
                    self.wfile.flush()
            finally:
                count(-1)


class UnixServer(socketserver.UnixStreamServer):
    def get_request(self):
        conn, _ = super().get_request()
        return conn, ("local", 0)


def cap_memory():
    # The function's memory cap: private writable memory (heap, stacks) of this process.
    mb = os.environ.get("DISPATCH_RUNNER_MEMORY_MB")
    if mb:
        limit = int(mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def exit_with_host():
    # Standard input is a pipe from the host that is never written: its end means the host is gone.
    sys.stdin.buffer.read()
    os._exit(0)


class ContainerServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def serve_in_container():
    """Container mode (deploy/runners): the function named by the environment is loaded before the port
    opens, so an open port means a loaded function (the pod's readiness check). A function that does not
    load ends the container with the reason, which Kubernetes shows as its termination message."""
    try:
        handler = os.environ.get("DISPATCH_FUNCTION_HANDLER")
        if not handler:
            raise ValueError("DISPATCH_FUNCTION_HANDLER is not set: name the function's handler, e.g. hello.handle")
        init({
            "codeDir": os.environ.get("DISPATCH_FUNCTION_CODE_DIR") or "/function/code",
            "handler": handler,
            "dependenciesDir": os.environ.get("DISPATCH_FUNCTION_DEPENDENCIES_DIR") or None,
        })
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        sys.stderr.write(reason + "\n")
        try:
            with open("/dev/termination-log", "w") as log:
                log.write(reason)
        except OSError:
            pass  # Not on Kubernetes: standard error says it.
        sys.exit(1)
    server = ContainerServer(("0.0.0.0", int(os.environ.get("DISPATCH_RUNNER_PORT", "8080"))), Handler)

    # Stopping (scale down, rollout): take no new connection, answer the calls already sent, then exit.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    deadline = time.monotonic() + 25
    while in_flight > 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    os._exit(0)


def main():
    cap_memory()
    socket_path = os.environ.get("DISPATCH_RUNNER_SOCKET")
    if not socket_path:
        serve_in_container()
        return
    threading.Thread(target=exit_with_host, daemon=True).start()
    server = UnixServer(socket_path, Handler)
    os.write(3, b"ready\n")  # the host waits for this before connecting
    server.serve_forever()


if __name__ == "__main__":
    main()
