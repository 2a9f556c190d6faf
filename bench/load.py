#!/usr/bin/env python
"""Benchmark: the portal under load, data subjects and officers at once (Locust, headless).

gunicorn (the shipped ``deploy/gunicorn.conf.py``, production settings behind a TLS proxy that
the Locust client plays) + PostgreSQL + Redis + one real Celery worker. ``--subjects`` data
subjects (default 100) each file an access request through the public form (with its CSRF
token), wait for the verification e-mail the worker sends, enter its code and open their
status page a few times; then file the next one. ``--officers`` officers (default 5) log in
with password + TOTP and work the queue and case pages. Everything stays on the loopback
interface; the run is bounded by ``--duration`` seconds and starts on a warm portal (every
gunicorn process has served each public page, as one that has been running would have). The
portal's own rate limits are raised for the run (one client address files for a hundred
people; see ``rate_limits`` in the output), everything else is as in production.

Needs PostgreSQL (127.0.0.1:5432, user root) and Redis (127.0.0.1:6379). Prints JSON:
throughput, p50/p95/p99 per named request, errors, users, duration, machine and its load.
Usage: .venv/bin/python bench/load.py [--subjects 100] [--officers 5] [--duration 60]
"""

import sys
from pathlib import Path

# bench/ holds queue.py: keep the folder off the path so the standard library's queue is used.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import base64  # noqa: E402
import email  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

ROOT = HERE.parent
PG = os.environ.get("DSR_BENCH_POSTGRES", "postgres://root@127.0.0.1:5432")
REDIS = os.environ.get("DSR_BENCH_REDIS", "redis://127.0.0.1:6379/0")
PASSWORD = "bench-officer-" + secrets.token_hex(8)
# One client address files for every subject: the limits a deployer would set for a load test.
RATE_LIMITS = {
    "DSR_RATE_INTAKE_PER_IP": "1000000/3600",
    "DSR_RATE_INTAKE_PER_EMAIL": "1000/3600",
    "DSR_RATE_CODES_PER_IP": "1000000/3600",
    "DSR_RATE_LIMITS": "false",  # allauth's login limits
    "DSR_INTAKE_FORM_CHECK": "false",  # simulated people post the form at once
}
CODE_RE = re.compile(r"\b(\d{6})\b")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_RE = re.compile(r'href="(/staff/requests/[A-Z0-9-]+/)"')


def sibling(name: str):  # type: ignore[no-untyped-def]
    """Another benchmark script as a module (its helpers: scale's worker, fanout's database)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", HERE / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(officers: int) -> None:
    """In a subprocess (``--seed``): the controller, the register and the officers, with TOTP.
    Prints their secrets as JSON for the Locust users."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User
    from accounts.roles import Role, grant_role
    from dsr.demo import load_demo

    load_demo()
    logins = []
    for n in range(officers):
        address = f"officer{n}@bench.example"
        user = User.objects.create_user(address, os.environ["DSR_BENCH_PASSWORD"])
        EmailAddress.objects.create(user=user, email=address, verified=True, primary=True)
        grant_role(user=user, role=Role.OFFICER)
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        logins.append({"email": address, "secret": secret})
    print(json.dumps(logins))


class Mailbox:
    """The verification e-mails the worker writes (Django's file backend), by recipient."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.read: dict[Path, int] = {}
        self.codes: dict[str, str] = {}

    def scan(self) -> None:
        for path in sorted(self.folder.glob("*.log")):
            data = path.read_bytes()
            start = self.read.get(path, 0)
            if len(data) == start:
                continue
            self.read[path] = len(data)
            for raw in data[start:].split(b"\n" + b"-" * 79 + b"\n"):
                if not raw.strip():
                    continue
                message = email.message_from_bytes(raw)
                for part in message.walk():
                    if part.get_content_type() == "text/plain":
                        body = part.get_payload(decode=True) or b""
                        found = CODE_RE.search(body.decode("utf-8", "replace"))
                        if found:
                            self.codes[str(message["To"])] = found.group(1)
                        break


def locust_users(host: str, mailbox: Mailbox, logins: list[dict[str, str]], args):  # type: ignore[no-untyped-def]
    import gevent
    from locust import between, task
    from locust.contrib.fasthttp import FastHttpUser

    from dsr.management.commands.dsr_totp import current_code

    https = f"https://{host.removeprefix('http://')}"

    class Visitor(FastHttpUser):
        """A browser behind the TLS proxy: the proxy says https, and Secure cookies go back over
        the loopback's plain HTTP. Like nginx's default upstream, the proxy opens a connection
        per request (``--proxy-keepalive`` keeps one per person: each person's pages then stay
        with one gunicorn process, busy or not). FastHttpUser (geventhttpclient) keeps the load
        generator light: ``cores_busy`` in the output shows what it took."""

        abstract = True
        wait_time = between(*args.think)

        def call(self, method: str, path: str, name: str, expect: int, **kwargs):  # type: ignore[no-untyped-def]
            headers = {"X-Forwarded-Proto": "https", "Referer": https + path}
            if not args.proxy_keepalive:
                headers["Connection"] = "close"
            if method == "POST":
                headers["Origin"] = https
                headers["Content-Type"] = "application/x-www-form-urlencoded"
                kwargs["data"] = urllib.parse.urlencode(kwargs["data"])
            with self.client.request(
                method,
                path,
                name=name,
                headers=headers,
                allow_redirects=False,
                catch_response=True,
                **kwargs,
            ) as response:
                if response.status_code != expect:
                    got = getattr(response, "error", None) or f"HTTP {response.status_code}"
                    response.failure(f"{got}, expected {expect}")
                    ok = False
                else:
                    ok = True
            for cookie in self.client.cookiejar:  # Secure: the proxy spoke TLS for us
                cookie.secure = False
            return response if ok else None

        def csrf(self, response) -> str:  # type: ignore[no-untyped-def]
            found = CSRF_RE.search(response.text)
            return found.group(1) if found else ""

    class DataSubject(Visitor):
        weight = args.subjects
        filed = 0

        @task
        def file_and_follow(self) -> None:
            form = self.call("GET", "/request/access/", "intake form", 200)
            if form is None:
                return
            self.filed += 1
            address = f"subject-{id(self):x}-{self.filed}@example.org"
            data = {
                "csrfmiddlewaretoken": self.csrf(form),
                "requester": "myself",
                "email": address,
                "name": "Bench Subject",
            }
            if self.call("POST", "/request/access/", "file request", 302, data=data) is None:
                return
            sent = self.call("GET", "/request/sent/", "check your e-mail", 200)
            if sent is None:
                return
            code = self.wait_for_code(address)
            if code is None:
                return
            data = {"csrfmiddlewaretoken": self.csrf(sent), "code": code}
            confirmed = self.call("POST", "/request/sent/", "enter code", 302, data=data)
            if confirmed is None:
                return
            status = confirmed.headers.get("Location", "")
            for _ in range(3):
                if self.call("GET", status, "status page", 200) is None:
                    return
                gevent.sleep(self.wait_time())

        def wait_for_code(self, address: str) -> str | None:
            """The e-mail's way through the outbox and the worker, timed as its own entry."""
            started = time.perf_counter()
            while time.perf_counter() - started < args.mail_timeout:
                code = mailbox.codes.pop(address, None)
                if code is not None:
                    self.environment.events.request.fire(
                        request_type="MAIL",
                        name="verification e-mail (worker)",
                        response_time=(time.perf_counter() - started) * 1000,
                        response_length=0,
                        exception=None,
                        context={},
                    )
                    return code
                gevent.sleep(0.1)
            self.environment.events.request.fire(
                request_type="MAIL",
                name="verification e-mail (worker)",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=0,
                exception=TimeoutError(f"no e-mail within {args.mail_timeout} s"),
                context={},
            )
            return None

    pool = list(logins)

    class Officer(Visitor):
        fixed_count = args.officers

        def on_start(self) -> None:
            self.cases: list[str] = []
            login = pool.pop()
            page = self.call("GET", "/accounts/login/", "login form", 200)
            if page is None:
                return
            data = {
                "csrfmiddlewaretoken": self.csrf(page),
                "login": login["email"],
                "password": PASSWORD,
            }
            if self.call("POST", "/accounts/login/", "log in (password)", 302, data=data) is None:
                return
            page = self.call("GET", "/accounts/2fa/authenticate/", "TOTP form", 200)
            if page is None:
                return
            left = 30 - time.time() % 30
            if left < 3:  # like a person reading a fresh code
                gevent.sleep(left + 0.05)
            data = {"csrfmiddlewaretoken": self.csrf(page), "code": current_code(login["secret"])}
            totp = self.call("POST", "/accounts/2fa/authenticate/", "log in (TOTP)", 302, data=data)
            if totp is not None:
                self.queue()  # where the working day starts

        @task(2)
        def queue(self) -> None:
            page = self.call("GET", "/staff/requests/", "queue", 200)
            if page is not None:
                self.cases = CASE_RE.findall(page.text)

        @task(3)
        def case(self) -> None:
            if self.cases:
                self.call("GET", secrets.choice(self.cases), "case page", 200)

    return [DataSubject, Officer]


def gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            "deploy/gunicorn.conf.py",
            "dsr.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,  # the access log: one line per request
        stderr=log.open("ab"),
    )


def wait_until_up(url: str, timeout: float = 60) -> None:
    import httpx

    started = time.perf_counter()
    while True:
        try:
            httpx.get(url, headers={"X-Forwarded-Proto": "https"}, timeout=5)
            return
        except httpx.TransportError:
            if time.perf_counter() - started > timeout:
                raise
            time.sleep(0.2)


def warm_up(host: str, rounds: int = 10) -> None:
    """A portal that has been running: every gunicorn process has shown each page once or
    twice (templates compiled, connections open) before the clock starts. A connection per
    request spreads the rounds over the processes."""
    import httpx

    headers = {"X-Forwarded-Proto": "https", "Connection": "close"}
    for _ in range(rounds):
        for path in ("/", "/request/access/", "/accounts/login/", "/request/sent/"):
            httpx.get(f"{host}{path}", headers=headers, timeout=30)


def cpu_seconds(pid: int, *, children: bool = True) -> float:
    """CPU time of a process and its children (psutil comes with Locust)."""
    import psutil

    total = 0.0
    try:
        process = psutil.Process(pid)
        for each in [process, *(process.children(recursive=True) if children else [])]:
            times = each.cpu_times()
            total += times.user + times.system
            if children:  # reaped ones too (gunicorn's recycled workers)
                total += times.children_user + times.children_system
    except psutil.NoSuchProcess:
        pass
    return total


def psutil_children(pid: int) -> list[int]:
    import psutil

    return [child.pid for child in psutil.Process(pid).children()]


def postgres_seconds(database: str) -> float:
    """CPU time of the PostgreSQL backends serving the run's database (their process titles
    name it; the connections persist, so few come and go during the run)."""
    import psutil

    total = 0.0
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(database in part for part in process.info["cmdline"] or []):
                times = process.cpu_times()
                total += times.user + times.system
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def percentiles(entry) -> dict[str, float | int]:  # type: ignore[no-untyped-def]
    return {
        "requests": entry.num_requests,
        "errors": entry.num_failures,
        "per_second": round(entry.total_rps, 2),
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
        "max_ms": round(entry.max_response_time or 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--officers", type=int, default=5)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=20, help="users started per second")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=[1, 3],
        metavar=("MIN", "MAX"),
        help="seconds each user waits between pages (default 1 3: far busier than people)",
    )
    parser.add_argument("--mail-timeout", type=float, default=60)
    parser.add_argument(
        "--proxy-keepalive",
        action="store_true",
        help="keep one connection per person to gunicorn (default: one per request, as nginx)",
    )
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed is not None:
        seed(args.seed)
        return
    # Locust patches the standard library for gevent on import: before anything opens sockets.
    import gevent
    from locust.env import Environment

    recreate, worker = sibling("fanout").recreate, sibling("scale").worker
    work = Path(tempfile.mkdtemp(prefix="dsr-bench-load-"))
    run = f"{os.getpid()}_{secrets.token_hex(3)}"
    database = f"dsr_bench_load_{run}"  # per run: two checkouts can run it at once
    recreate(database)
    port = free_port()
    env = {
        **os.environ,
        **RATE_LIMITS,
        "DJANGO_SETTINGS_MODULE": "dsr.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_BEHIND_TLS_PROXY": "true",
        "DSR_ENCRYPTION_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "DSR_BASE_URL": f"https://127.0.0.1:{port}",
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": REDIS,
        "CELERY_KEY_PREFIX": f"dsr-bench-load-{run}:",
        "DSR_CACHE_PREFIX": f"dsr-bench-load-{run}",
        "DSR_VAR_DIR": str(work / "var"),
        "DSR_STATIC_ROOT": str(work / "static"),
        "DSR_CONNECTORS_FILE": "",
        "EMAIL_URL": f"filemail:///{work / 'mail'}",
        "DSR_LOG_LEVEL": "WARNING",
        "DSR_BENCH_PASSWORD": PASSWORD,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    web: subprocess.Popen[bytes] | None = None
    celery: subprocess.Popen[bytes] | None = None
    try:
        (work / "mail").mkdir()
        python = sys.executable
        for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
        seeded = subprocess.run(
            [python, __file__, "--seed", str(args.officers)],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        logins = json.loads(seeded.stdout)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()  # settings only (the TOTP codes): this process never opens the database

        log = work / "server.log"
        web = gunicorn(env, log)
        celery = worker(env, args.worker_processes, work / "worker.log")
        host = f"http://127.0.0.1:{port}"
        mailbox = Mailbox(work / "mail")
        wait_until_up(f"{host}/")
        warm_up(host)
        load_before = os.getloadavg()
        environment = Environment(user_classes=locust_users(host, mailbox, logins, args), host=host)
        runner = environment.create_local_runner()

        def poll_mail() -> None:
            while True:
                mailbox.scan()
                gevent.sleep(0.1)

        poller = gevent.spawn(poll_mail)
        users = args.subjects + args.officers
        pids = {"gunicorn": web.pid, "celery_worker": celery.pid, "load_generator": os.getpid()}
        cpu_before = {
            name: cpu_seconds(pid, children=name != "load_generator") for name, pid in pids.items()
        }
        postgres_before = postgres_seconds(database)
        started = time.perf_counter()
        runner.start(users, spawn_rate=args.spawn_rate)
        gevent.spawn_later(args.duration, runner.quit)
        runner.greenlet.join()
        elapsed = time.perf_counter() - started
        poller.kill()
        load_after = os.getloadavg()
        cpu = {
            name: round(
                (cpu_seconds(pid, children=name != "load_generator") - cpu_before[name]) / elapsed,
                2,
            )
            for name, pid in pids.items()
        }
        cpu["postgresql"] = round((postgres_seconds(database) - postgres_before) / elapsed, 2)
        gunicorn_processes = len(psutil_children(web.pid))
    finally:
        for process, wait in ((web, 60), (celery, 120)):
            if process is not None:
                process.terminate()
                process.wait(timeout=wait)
        clean_up(database, prefixes=(env["CELERY_KEY_PREFIX"], env["DSR_CACHE_PREFIX"]), work=work)
    stats = environment.stats
    print(
        json.dumps(
            {
                "benchmark": "load",
                "users": {"subjects": args.subjects, "officers": args.officers},
                "think_seconds": args.think,
                "duration_seconds": round(elapsed, 1),
                "requests": stats.total.num_requests,
                "errors": stats.total.num_failures,
                "throughput_per_second": round(stats.total.num_requests / elapsed, 1),
                "pages": {
                    name: percentiles(entry)
                    for (name, _method), entry in sorted(stats.entries.items())
                },
                "error_messages": [
                    {"name": e.name, "error": str(e.error), "count": e.occurrences}
                    for e in stats.errors.values()
                ],
                "requests_filed": stats.get("file request", "POST").num_requests,
                "server": {
                    "gunicorn": "deploy/gunicorn.conf.py",
                    "gunicorn_processes": gunicorn_processes,
                    "gunicorn_threads": int(env.get("GUNICORN_THREADS", "4")),
                    "proxy_keepalive": args.proxy_keepalive,
                    "celery_worker_processes": args.worker_processes,
                    "settings": "production (DJANGO_DEBUG=false), behind a TLS proxy",
                    "rate_limits": {
                        "changed for the benchmark": RATE_LIMITS,
                        "why": "every simulated subject files from the same loopback address",
                    },
                },
                "machine": {
                    "cores": os.cpu_count(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in load_after],
                    # cores kept busy, on average over the run (PostgreSQL: the run's backends)
                    "cores_busy": cpu,
                },
            },
            indent=2,
        )
    )


def clean_up(database: str, *, prefixes: tuple[str, ...], work: Path) -> None:
    """What the run made goes again: its database (fanout's helper made it), its Redis keys and
    its folder (the e-mails, with their codes)."""
    import psycopg
    import redis

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    client = redis.Redis.from_url(REDIS)
    for prefix in prefixes:
        for key in client.scan_iter(match=f"*{prefix}*", count=1000):
            client.delete(key)
    client.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
