#!/usr/bin/env python3
"""The chaos soak's orchestrator (issue 19), run by Benchmarks/soak.sh inside the soak's "core"
network namespace (everything it talks to is on that namespace's loopback). stdlib only.

soak.sh prepares the work folder, the namespaces, the veth pairs and the tmpfs mounts; this script
starts PostgreSQL, the Kafka mock, two server instances, the delaying proxy, the traffic and the two
agents, injects seeded random faults for --duration seconds, lets everything drain, then checks that
nothing was lost against a reference server fed the agents' NDJSON record files once.
"""
import argparse
import bisect
import collections
import glob
import gzip
import json
import os
import random
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

# Fixed ports: the core namespace is fresh, nothing else listens there.
PG_PORT = 15432
PROXY_PORT = 18480
S_PORTS = {"s1": 18481, "s2": 18482}
REF_PORT = 18489
TOPICS = ["conn", "txn", "edge", "service_state", "service_seen", "agent_health", "pin"]
ALL_FAULTS = ["agent-kill", "server-kill", "broker-pause", "pg-restart", "net-drop", "proxy-delay",
              "fill-spool", "fill-pg", "token-rotate"]
DEFAULT_FAULTS = [f for f in ALL_FAULTS if f != "token-rotate"]
OVERLAP = 0.4           # share of faults joined by a second, concurrent one
INCOMPATIBLE = {frozenset(("fill-pg", "pg-restart"))}  # PostgreSQL cannot start on a full disk: not a server fault
CRASH_TAIL_MS = 1000    # a record lost at a kill -9 must have been written less than this before it (200 ms fsync + slack)
RECOVERY_SLACK = 20     # records: one batch in flight
SERVICES = {  # endpoint id -> (agent that sees it, how it behaves)
    "10.77.1.1:8081/tcp": "a", "10.77.1.1:8082/tcp": "a",
    "10.77.2.1:8083/tcp": "b", "10.77.2.1:8084/tcp": "b",
}

T0 = time.time()


def rfc3339(t):
    """Seconds since 1970 of '2026-12-05T12:53:26.683083779Z' (0 when unreadable)."""
    import calendar
    try:
        main, _, frac = t.rstrip("Z").partition(".")
        return calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))
    except ValueError:
        return 0


def log(msg):
    line = "[soak %6.1fs] %s" % (time.time() - T0, msg)
    print(line, flush=True)


class Soak:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.bin = a.bin
        self.here = os.path.dirname(os.path.abspath(__file__))
        self.rng = random.Random(a.seed)
        self.procs = {}          # name -> Popen
        self.argv = {}           # name -> argv
        self.lock = threading.Lock()
        self.metrics = {}        # (instance, pid) -> {metric: value}
        self.faults = []         # dicts: kind, target, start, end, detail, recovery
        self.problems = []       # hard failures (exit 1)
        self.warnings = []
        self.killed_epochs = collections.defaultdict(list)  # agent -> wall times of kill -9
        self.stop_scrape = threading.Event()
        self.expected_down = set()   # processes a fault stopped on purpose
        self.supervised_restarts = collections.Counter()
        self.stale_seen = collections.Counter()  # agent -> samples (every 0.5 s) in which s1 showed it stale
        self.token = "soak-rotating-token-0000"
        self.pgbin = a.pgbin
        self.pgdata = os.path.join(self.work, "pg", "data")
        self.pgsock = os.path.join(self.work, "pg")

    # ---------------------------------------------------------------- processes

    def write_pids(self):
        with open(os.path.join(self.work, "pids"), "w") as f:
            for p in self.procs.values():
                if p.poll() is None:
                    f.write("%d\n" % p.pid)

    def start(self, name, argv=None, ns=None):
        if argv is not None:
            if ns:
                argv = ["ip", "netns", "exec", ns] + argv
            self.argv[name] = argv
        logf = open(os.path.join(self.work, "logs", name + ".log"), "ab")
        logf.write(("\n==== %s start %s\n" % (time.strftime("%H:%M:%S"), " ".join(map(shlex.quote, self.argv[name])))).encode())
        logf.flush()
        p = subprocess.Popen(self.argv[name], stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             start_new_session=True)
        with self.lock:
            self.procs[name] = p
            self.write_pids()
        self.expected_down.discard(name)
        return p

    def kill9(self, name):
        p = self.procs[name]
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait()
        with self.lock:
            self.write_pids()

    def term(self, name, timeout=30):
        """SIGTERM and wait; False (and SIGKILL) if it did not end within the timeout: a hang."""
        p = self.procs.get(name)
        self.expected_down.add(name)
        if p is None or p.poll() is not None:
            return True
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout)
            ok = True
        except subprocess.TimeoutExpired:
            os.kill(p.pid, signal.SIGKILL)
            p.wait()
            ok = False
        with self.lock:
            self.write_pids()
        return ok

    def alive(self, name):
        p = self.procs.get(name)
        return p is not None and p.poll() is None

    def run(self, argv, check=True, timeout=120):
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("%s failed (%d): %s" % (" ".join(argv), r.returncode, r.stderr.strip()[-800:]))
        return r

    # ---------------------------------------------------------------- PostgreSQL

    def pg(self, *args, check=True):
        return self.run(["runuser", "-u", "postgres", "--", os.path.join(self.pgbin, "pg_ctl"), "-D", self.pgdata] + list(args),
                        check=check)

    def pg_start(self):
        return self.pg("-l", os.path.join(self.work, "pg", "postgres.log"), "-w", "-t", "60", "-o",
                       "-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=60" % (PG_PORT, self.pgsock), "start",
                       check=False)

    def pg_running(self):
        return self.pg("status", check=False).returncode == 0

    def psql(self, sql):
        r = self.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", "soak", "-At", "-F", "\t", "-c", sql])
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    # ---------------------------------------------------------------- HTTP helpers

    @staticmethod
    def get(port, path, timeout=3):
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=timeout) as r:
            return r.read().decode()

    def scrape(self, name):
        try:
            text = self.get(S_PORTS[name], "/metrics", timeout=2)
        except (OSError, urllib.error.URLError, ValueError):
            return None
        out = {}
        for line in text.splitlines():
            if line.startswith("vigie_server_") and "{" not in line:
                k, _, v = line.partition(" ")
                try:
                    out[k] = float(v)
                except ValueError:
                    pass
        return out

    def scraper(self):
        while not self.stop_scrape.is_set():
            for name in S_PORTS:
                p = self.procs.get(name)
                if p is None or p.poll() is not None:
                    continue
                m = self.scrape(name)
                if m is not None:
                    with self.lock:
                        self.metrics[(name, p.pid)] = m
                if name == "s1":
                    try:
                        for x in json.loads(self.get(S_PORTS[name], "/api/v1/agents", timeout=2)):
                            if x.get("fresh") is False:
                                self.stale_seen[x.get("agent")] += 1
                    except (OSError, urllib.error.URLError, ValueError):
                        pass
            self.stop_scrape.wait(0.5)

    def total(self, metric):
        """A counter summed over every instance lifetime (scraped every 0.5 s: the last half second of a
        killed instance is missing)."""
        with self.lock:
            return sum(m.get(metric, 0) for m in self.metrics.values())

    # ---------------------------------------------------------------- agents

    def store(self, agent):
        return os.path.join(self.work, "agent-" + agent, "store")

    def status(self, agent):
        try:
            with open(os.path.join(self.store(agent), "state", "status.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def pending(self, agent):
        s = self.status(agent)
        if not s or not s.get("export") or not s["export"].get("spool"):
            return 0
        return sum(s["export"]["spool"].get("pending", {}).values())

    def backlog(self):
        return self.pending("a") + self.pending("b")

    def dead_letters(self):
        """Bytes in the agents' dead-letter files (the status counters restart with each process)."""
        n = 0
        for agent in ("a", "b"):
            try:
                n += os.path.getsize(os.path.join(self.store(agent), "spool", "dead-letter.ndjson"))
            except OSError:
                pass
        return n

    def spool_error(self):
        """An agent's spool write error being retried (disk full), if any."""
        for agent in ("a", "b"):
            s = self.status(agent) or {}
            e = ((s.get("export") or {}).get("spool") or {}).get("writeError")
            if e:
                return "agent-%s: %s" % (agent, e)
        return None

    def write_token_files(self, server_token, agent_token):
        tf = os.path.join(self.work, "server-tokens")
        with open(tf + ".tmp", "w") as f:
            f.write("agent soak-a %s\n" % server_token)
        os.chmod(tf + ".tmp", 0o600)
        os.replace(tf + ".tmp", tf)
        af = os.path.join(self.work, "agent-a", "token")
        with open(af + ".tmp", "w") as f:
            f.write(agent_token + "\n")
        os.chmod(af + ".tmp", 0o600)
        os.replace(af + ".tmp", af)

    # ---------------------------------------------------------------- setup

    def setup(self):
        a = self.a
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        # PostgreSQL on its tmpfs (mounted by soak.sh, owned by postgres).
        self.run(["runuser", "-u", "postgres", "--", os.path.join(self.pgbin, "initdb"), "-D", self.pgdata, "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync"])
        r = self.pg_start()
        if r.returncode != 0:
            raise RuntimeError("PostgreSQL did not start: " + r.stderr)
        self.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-q", "-c", "CREATE DATABASE soak"])
        # Kafka mock: every topic with 4 partitions, so both instances of the group get some.
        boot = os.path.join(self.work, "kafka.addr")
        self.start("kafka", [os.path.join(self.bin, "vigie-kafka-mock"), "--bootstrap-file", boot]
                   + sum([["--topic", "vigie.%s:4" % t] for t in TOPICS], []))
        deadline = time.time() + 20
        while not (os.path.exists(boot) and open(boot).read().strip()):
            if time.time() > deadline:
                raise RuntimeError("vigie-kafka-mock gave no bootstrap address")
            time.sleep(0.1)
        self.bootstrap = open(boot).read().strip()
        self.kafka_port = int(self.bootstrap.split(",")[0].rsplit(":", 1)[1])
        # Inventory, tokens.
        inv = os.path.join(self.work, "inventory.yaml")
        with open(inv, "w") as f:
            f.write(INVENTORY)
        self.write_token_files(self.token, self.token)
        self.server_argv = lambda port: [
            os.path.join(self.bin, "vigie-server"), "serve", "--listen", "127.0.0.1:%d" % port,
            "--database", "postgresql://postgres@127.0.0.1:%d/soak" % PG_PORT, "--inventory", inv,
            "--token-file", os.path.join(self.work, "server-tokens"), "--kafka", self.bootstrap, "--kafka-group", "soak",
            "--kafka-property", "session.timeout.ms=6000", "--kafka-property", "heartbeat.interval.ms=500",
            "--stale-after", str(a.stale_after), "--tick", "1", "--log-level", "warning"]
        for name, port in S_PORTS.items():
            self.start(name, self.server_argv(port))
        for name, port in S_PORTS.items():
            self.wait_http(name, port)
        # Delaying proxy: agent A -> proxy -> s1.
        self.proxy_ctl = os.path.join(self.work, "proxy.json")
        self.start("proxy", [sys.executable, os.path.join(self.here, "proxy.py"), "--listen", "127.0.0.1:%d" % PROXY_PORT,
                             "--target", "127.0.0.1:%d" % S_PORTS["s1"], "--control", self.proxy_ctl])
        # Services (core namespace) and clients (client namespace).
        self.start("services", [sys.executable, os.path.join(self.here, "traffic.py"), "server", "--seed", str(a.seed),
                                "--http", "10.77.1.1:8081", "10.77.2.1:8083", "--toggle", "10.77.1.1:8082"])
        self.stop_traffic = os.path.join(self.work, "traffic.stop")
        time.sleep(0.5)
        self.start("clients", [sys.executable, os.path.join(self.here, "traffic.py"), "client", "--seed", str(a.seed),
                               "--rate", str(a.rate), "--stop-file", self.stop_traffic, "--target",
                               "10.77.1.1:8081", "10.77.1.1:8082", "10.77.2.1:8083", "10.77.2.1:8084"], ns=a.cli_ns)
        # Agents: A over HTTP (through the proxy, token file), B over Kafka.
        for agent, iface in (("a", "coa"), ("b", "cob")):
            d = os.path.join(self.work, "agent-" + agent)
            cfg = os.path.join(d, "agent.yaml")
            with open(cfg, "w") as f:
                f.write("agent_id: soak-%s\n" % agent)
                f.write("storage: {quota: 512MiB, segment_size: 64MiB}\n")
                f.write("analytics: {window: 5s, edge_interval: 10s, workers: 1, txn_sample_rate: 2}\n")
                f.write("export:\n  spool_size: %s\n" % a.spool_size)
                if agent == "a":
                    f.write("  http:\n    url: http://127.0.0.1:%d/api/v1/ingest\n    token_file: %s\n" % (PROXY_PORT, os.path.join(d, "token")))
                else:
                    f.write("  kafka:\n    bootstrap_servers: %s\n" % self.bootstrap)
            self.start("agent-" + agent, [os.path.join(self.bin, "vigie-agent"), "capture", "--interface", iface,
                                          "--store", self.store(agent), "--config", cfg, "--log-level", "warning"])
        for agent in ("a", "b"):
            deadline = time.time() + 30
            while not (self.status(agent) or {}).get("running"):
                if time.time() > deadline or not self.alive("agent-" + agent):
                    raise RuntimeError("agent %s did not start (logs/agent-%s.log)" % (agent, agent))
                time.sleep(0.2)
        threading.Thread(target=self.scraper, daemon=True).start()
        threading.Thread(target=self.supervisor, daemon=True).start()

    def wait_http(self, name, port, timeout=60, supervised=False):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive(name) and not supervised:
                raise RuntimeError("%s exited at start (logs/%s.log)" % (name, name))
            try:
                self.get(port, "/metrics", timeout=1)
                return time.time()
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        raise RuntimeError("%s not answering on port %d" % (name, port))

    # ---------------------------------------------------------------- faults

    def supervisor(self):
        """Like systemd's Restart=on-failure: a process that exits without the soak having stopped it is
        started again after a second. For a server instance (it exits at start when PostgreSQL refuses
        connections) that is counted and reported; for anything else it is a failure."""
        while not self.stop_scrape.is_set():
            for name in list(self.procs):
                p = self.procs[name]
                if name in self.expected_down or name in ("clients", "reference") or p.poll() is None:
                    continue
                tail = ""
                try:
                    with open(os.path.join(self.work, "logs", name + ".log"), "rb") as f:
                        f.seek(max(0, os.path.getsize(f.name) - 600))
                        tail = [l for l in f.read().decode(errors="replace").splitlines() if l.strip() and not l.startswith("%")]
                        tail = tail[-3] if len(tail) >= 3 else " ".join(tail)
                except OSError:
                    pass
                msg = "%s exited by itself (status %s) at %.0fs: %s" % (name, p.returncode, time.time() - T0, tail.strip()[:300])
                if name in S_PORTS:
                    self.supervised_restarts[name] += 1
                    if self.supervised_restarts[name] <= 3 or self.supervised_restarts[name] % 10 == 0:
                        log(msg + "; restarted by the soak's supervisor")
                else:
                    self.problems.append(msg)
                    log(msg + "; restarted")
                time.sleep(1)
                if name not in self.expected_down and not self.stop_scrape.is_set():
                    self.start(name)
            self.stop_scrape.wait(0.5)

    def fault_agent_kill(self, rng):
        agent = rng.choice(["a", "b"])
        down = rng.uniform(2, 10) if self.a.duration < 600 or rng.random() < 0.7 else rng.uniform(self.a.stale_after + 5, self.a.stale_after + 20)
        self.expected_down.add("agent-" + agent)
        self.kill9("agent-" + agent)
        self.killed_epochs[agent].append(time.time())
        time.sleep(down)
        self.start("agent-" + agent)
        self.expected_down.discard("agent-" + agent)
        return "agent-" + agent, "down %.1fs" % down

    def fault_server_kill(self, rng):
        name = rng.choice(list(S_PORTS))
        down = rng.uniform(2, 8)
        self.expected_down.add(name)
        self.kill9(name)
        time.sleep(down)
        restarted = time.time()
        self.start(name)
        self.expected_down.discard(name)
        try:
            up = self.wait_http(name, S_PORTS[name], supervised=True)
            detail = "down %.1fs, answering %.1fs after its restart" % (down, up - restarted)
        except RuntimeError as e:
            self.problems.append("server-kill: %s" % e)
            detail = "did not come back: %s" % e
        return name, detail

    def fault_broker_pause(self, rng):
        d = rng.uniform(3, 12)
        pid = self.procs["kafka"].pid
        os.kill(pid, signal.SIGSTOP)
        time.sleep(d)
        os.kill(pid, signal.SIGCONT)
        return "kafka", "SIGSTOP %.1fs" % d

    def fault_pg_restart(self, rng):
        mode = rng.choice(["fast", "immediate"])
        down = rng.uniform(0.5, 6)
        self.pg("-m", mode, "-w", "stop", check=False)
        time.sleep(down)
        r = self.pg_start()
        if r.returncode != 0:
            self.problems.append("pg-restart: PostgreSQL did not start again: %s" % r.stderr.strip()[-300:])
        return "postgres", "stop -m %s, down %.1fs" % (mode, down)

    def nft(self, script):
        return subprocess.run(["nft", "-f", "-"], input=script, text=True, capture_output=True)

    def fault_net_drop(self, rng):
        target = rng.choice(["http", "kafka"])
        port = PROXY_PORT if target == "http" else self.kafka_port
        pct = rng.randint(20, 70)
        d = rng.uniform(5, 15)
        r = self.nft("""table inet soak {
  chain out { type filter hook output priority 0; policy accept;
    tcp dport %d numgen random mod 100 < %d drop
    tcp sport %d numgen random mod 100 < %d drop
  }
}
""" % (port, pct, port, pct))
        if r.returncode != 0:
            self.problems.append("net-drop: nft failed: %s" % r.stderr.strip())
            return target, "nft failed"
        time.sleep(d)
        self.nft("delete table inet soak\n")
        return target, "%d%% of packets to/from port %d dropped for %.1fs" % (pct, port, d)

    def set_proxy(self, state):
        with open(self.proxy_ctl + ".tmp", "w") as f:
            json.dump(state, f)
        os.replace(self.proxy_ctl + ".tmp", self.proxy_ctl)

    def fault_proxy_delay(self, rng):
        d = rng.uniform(5, 15)
        if rng.random() < 0.3:
            self.set_proxy({"stall": True})
            detail = "stall %.1fs" % d
        else:
            ms = rng.randint(100, 2000)
            self.set_proxy({"delay_ms": ms})
            detail = "delay %d ms per chunk for %.1fs" % (ms, d)
        time.sleep(d)
        self.set_proxy({})
        return "proxy", detail

    def fill(self, directory, seconds):
        ballast = os.path.join(directory, ".soak-ballast")
        written = 0
        try:
            with open(ballast, "wb") as f:
                chunk = b"\0" * (1 << 20)
                while True:
                    try:
                        f.write(chunk)
                        f.flush()
                        written += len(chunk)
                    except OSError:
                        break
                # Fill the last partial MiB too.
                try:
                    while True:
                        f.write(b"\0" * 4096)
                        f.flush()
                        written += 4096
                except OSError:
                    pass
        except OSError:
            pass
        time.sleep(seconds)
        os.unlink(ballast)
        return written

    def fault_fill_spool(self, rng):
        agent = rng.choice(["a", "b"])
        d = rng.uniform(5, 12)
        n = self.fill(os.path.join(self.store(agent), "spool"), d)
        return "agent-" + agent, "spool tmpfs full (%d MiB ballast) for %.1fs" % (n >> 20, d)

    def fault_fill_pg(self, rng):
        d = rng.uniform(4, 10)
        n = self.fill(self.pgdata, d)
        detail = "PostgreSQL tmpfs full (%d MiB ballast) for %.1fs" % (n >> 20, d)
        time.sleep(1)
        if not self.pg_running():
            r = self.pg_start()
            detail += "; PostgreSQL had stopped, started again by the soak (%s)" % ("ok" if r.returncode == 0 else "FAILED")
            self.warnings.append("fill-pg: PostgreSQL stopped under disk full and did not restart by itself")
            if r.returncode != 0:
                self.problems.append("fill-pg: PostgreSQL did not start again: %s" % r.stderr.strip()[-300:])
        return "postgres", detail

    def fault_token_rotate(self, rng):
        n = int(self.token.rsplit("-", 1)[1]) + 1
        new = "soak-rotating-token-%04d" % n
        gap = rng.uniform(1, 5)
        # The server first (SIGHUP re-reads its token file), the agent's file some seconds later.
        self.write_token_files(new, self.token)
        for name in S_PORTS:
            if self.alive(name):
                os.kill(self.procs[name].pid, signal.SIGHUP)
        time.sleep(gap)
        self.write_token_files(new, new)
        self.token = new
        return "agent-a", "server token rotated, agent token file %.1fs later" % gap

    def recover(self, pre_backlog, pre_applied, instances=(), timeout=45):
        """Seconds from now until the agents' spool backlog is back to its pre-fault level (give or take
        one batch), the servers applied something new and each restarted instance in `instances`
        ((name, pid)) applied records again, with no spool write error and no new dead letter for 2 s;
        None if not within the timeout."""
        t = time.time()
        dl = collections.deque(maxlen=9)  # dead-letter counts over the last 2 s: still growing = not recovered
        first_ok = None
        while time.time() - t < timeout:
            dl.append(self.dead_letters())
            with self.lock:
                restarted_ok = all(self.metrics.get(i, {}).get("vigie_server_records_ingested_total", 0) > 0 for i in instances)
            ok = (self.backlog() <= pre_backlog + RECOVERY_SLACK and restarted_ok and not self.spool_error()
                  and self.total("vigie_server_records_ingested_total") > pre_applied)
            if not ok or dl[0] != dl[-1]:
                first_ok = None
                if dl[0] != dl[-1]:
                    dl.clear()
            elif first_ok is None:
                first_ok = time.time()
            if first_ok is not None and len(dl) == dl.maxlen:
                return first_ok - t
            time.sleep(0.25)
        return None

    def run_fault(self, kind, rng, out):
        start = time.time()
        try:
            target, detail = getattr(self, "fault_" + kind.replace("-", "_"))(rng)
        except Exception as e:  # noqa: BLE001
            target, detail = "?", "fault failed: %s" % e
            self.problems.append("%s: the fault itself failed: %s" % (kind, e))
        out.append({"kind": kind, "target": target, "start": start - T0, "end": time.time() - T0, "detail": detail,
                    "backlog_at_end": self.backlog()})

    def inject(self):
        """Faults one after the other, from the seed; sometimes (OVERLAP of the time) a second one of another
        kind starts while the first is under way (e.g. PostgreSQL down while an instance is killed)."""
        a = self.a
        rng = random.Random(a.seed)
        end = time.time() + a.duration
        time.sleep(min(10, a.duration / 10))  # warm-up: traffic and records flowing
        order = []
        while time.time() < end:
            if not order:
                order = list(a.faults)
                rng.shuffle(order)
            kinds = [order.pop()]
            if len(a.faults) > 1 and rng.random() < OVERLAP:
                others = [k for k in a.faults if k != kinds[0] and frozenset((k, kinds[0])) not in INCOMPATIBLE]
                if others:
                    kinds.append(rng.choice(others))
            pre_backlog, pre_applied = self.backlog(), self.total("vigie_server_records_ingested_total")
            results, threads = [], []
            for i, kind in enumerate(kinds):
                if i:
                    time.sleep(rng.uniform(0.5, 3))
                t = threading.Thread(target=self.run_fault, args=(kind, random.Random(rng.random()), results))
                t.start()
                threads.append(t)
            for t in threads:
                t.join()
            instances = []
            with self.lock:
                for f in results:
                    if f["kind"] == "server-kill" and self.alive(f["target"]):
                        instances.append((f["target"], self.procs[f["target"]].pid))
            rec = self.recover(pre_backlog, pre_applied, instances)
            for f in results:
                f["recovery"] = rec
                f["overlapped"] = len(results) > 1
                self.faults.append(f)
                log("fault %-12s %-8s %6.1f-%6.1fs  %s; backlog %d -> %d; recovered %s%s"
                    % (f["kind"], f["target"], f["start"], f["end"], f["detail"], pre_backlog, f["backlog_at_end"],
                       "in %.1fs" % rec if rec is not None else "NOT within 45 s", " (overlapped)" if f["overlapped"] else ""))
                with open(os.path.join(self.work, "faults.log"), "a") as fl:
                    fl.write(json.dumps(f) + "\n")
            if rec is None:
                self.warnings.append("%s at %.0fs: backlog not back to its pre-fault level within 45 s"
                                     % ("+".join(kinds), results[0]["start"]))
            time.sleep(rng.uniform(1, 4))

    # ---------------------------------------------------------------- drain and end check

    def heal(self):
        """Every process up, every fault undone (they are, unless a fault step failed)."""
        self.set_proxy({})
        self.nft("delete table inet soak\n")
        for d in (os.path.join(self.store("a"), "spool"), os.path.join(self.store("b"), "spool"), self.pgdata):
            try:
                os.unlink(os.path.join(d, ".soak-ballast"))
            except OSError:
                pass
        try:
            os.kill(self.procs["kafka"].pid, signal.SIGCONT)
        except OSError:
            pass
        if not self.pg_running():
            self.problems.append("PostgreSQL was down after the faults")
            self.pg_start()
        for name in list(self.procs):
            if not self.alive(name) and name not in ("clients",):
                self.problems.append("%s had exited by itself (see logs/%s.log)" % (name, name))
                self.start(name)

    def agents_fresh(self, port):
        try:
            agents = json.loads(self.get(port, "/api/v1/agents"))
        except (OSError, urllib.error.URLError, ValueError):
            return False
        fresh = {x.get("agent"): x.get("fresh") for x in agents}
        return fresh.get("soak-a") is True and fresh.get("soak-b") is True

    def drain(self):
        t = time.time()
        log("faults over; draining")
        self.heal()
        # The agents' spools empty (with traffic still flowing: one batch or so in flight).
        while time.time() - t < self.a.drain_timeout and self.backlog() > 100:
            time.sleep(0.5)
        if self.backlog() > 100:
            self.problems.append("spools not drained within %ds: backlog %d" % (self.a.drain_timeout, self.backlog()))
        # Agents fresh again on both instances (a kill may have made one stale).
        t2 = time.time()
        while time.time() - t2 < self.a.stale_after + 15 and not all(self.agents_fresh(p) for p in S_PORTS.values()):
            time.sleep(0.5)
        for name, p in S_PORTS.items():
            if not self.agents_fresh(p):
                try:
                    agents = self.get(p, "/api/v1/agents")
                except (OSError, urllib.error.URLError) as e:
                    agents = "unreachable: %s" % e
                self.problems.append("%s: an agent is not fresh again after the faults (%s)" % (name, agents))
        # Traffic stops; the agents end their flows, write their last records and drain (SIGTERM).
        open(self.stop_traffic, "w").close()
        self.procs["clients"].wait(30)
        time.sleep(6)
        self.drain_rounds = {}
        for agent in ("a", "b"):
            rounds = 0
            while True:
                if not self.term("agent-" + agent, 40):
                    self.problems.append("agent-%s did not stop within 40 s of SIGTERM (hang); killed" % agent)
                left = self.pending(agent)
                if left == 0 or rounds >= 3:
                    break
                # What the 10 s drain at exit could not send: start it again to deliver the rest.
                rounds += 1
                self.start("agent-" + agent)
                t3 = time.time()
                while time.time() - t3 < 30 and (self.pending(agent) > 0 or not (self.status(agent) or {}).get("running")):
                    time.sleep(0.5)
            self.drain_rounds[agent] = rounds
            if self.pending(agent) > 0:
                self.problems.append("agent-%s: %d records still pending in its spool at the end" % (agent, self.pending(agent)))
        # The servers settle: the shared marks and flows stop moving.
        last, stable, t4 = None, 0, time.time()
        while time.time() - t4 < self.a.drain_timeout:
            try:
                cur = self.psql("SELECT (SELECT coalesce(sum(high),0) FROM dedup), (SELECT count(*) FROM flow)")
            except RuntimeError:
                cur = None
            stable = stable + 1 if cur == last and cur is not None else 0
            last = cur
            if stable >= 6:
                break
            time.sleep(0.5)
        self.drain_seconds = time.time() - t
        log("drained in %.1fs" % self.drain_seconds)

    def records(self, agent):
        """Every line of the agent's record files (closed files; .gz preferred when both exist)."""
        d = os.path.join(self.store(agent), "records")
        by_index = {}
        for path in glob.glob(os.path.join(d, "records-*.ndjson*")):
            base = os.path.basename(path)
            idx = base.split(".")[0]
            if base.endswith(".gz") or idx not in by_index:
                by_index[idx] = path
        hidden = glob.glob(os.path.join(d, ".records-*"))
        if hidden:
            self.warnings.append("agent-%s: hidden record files left after the agent stopped: %s" % (agent, hidden))
        out = []
        for idx in sorted(by_index):
            path = by_index[idx]
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rt") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if line:
                        out.append(line)
        return out

    def kafka_dump(self):
        """(epoch, seq) -> set of (topic, partition) of agent B's records on the mock cluster."""
        where = collections.defaultdict(set)
        for t in TOPICS:
            r = self.run(["kcat", "-C", "-b", self.bootstrap, "-t", "vigie." + t, "-o", "beginning", "-e", "-q",
                          "-f", "%p\t%s\n"], check=False, timeout=120)
            for line in r.stdout.splitlines():
                p, _, v = line.partition("\t")
                try:
                    o = json.loads(v)
                except ValueError:
                    continue
                where[(o["agent_id"], o["epoch"], o["seq"])].add(("vigie." + t, int(p)))
        return where

    def reference(self, lines_by_agent):
        ref_dir = os.path.join(self.work, "reference")
        os.makedirs(ref_dir, exist_ok=True)
        self.start("reference", [os.path.join(self.bin, "vigie-server"), "serve", "--listen", "127.0.0.1:%d" % REF_PORT,
                                 "--data", ref_dir, "--inventory", os.path.join(self.work, "inventory.yaml"),
                                 "--stale-after", str(self.a.stale_after), "--tick", "1", "--log-level", "warning"])
        self.wait_http("reference", REF_PORT)
        for agent, lines in lines_by_agent.items():
            for i in range(0, len(lines), 2000):
                body = ("\n".join(lines[i:i + 2000]) + "\n").encode()
                req = urllib.request.Request("http://127.0.0.1:%d/api/v1/ingest" % REF_PORT, data=body, method="POST",
                                             headers={"Content-Type": "application/x-ndjson"})
                try:
                    with urllib.request.urlopen(req, timeout=60) as r:
                        r.read()
                except urllib.error.HTTPError as e:
                    self.problems.append("reference ingest of %s's records answered %d: %s" % (agent, e.code, e.read()[:300]))
        time.sleep(2)  # one tick

    def weather(self, port):
        w = json.loads(self.get(port, "/api/v1/weather?all=true"))
        out = {}
        for n in w.get("nodes", []):
            out[n["id"]] = {k: n.get(k) for k in ("state", "causes", "root_causes", "score", "coverage", "idle")}
        return out

    def views(self, port):
        out = {}
        for sid in SERVICES:
            d = json.loads(self.get(port, "/api/v1/nodes/" + urllib.request.quote(sid, safe="")))
            out[sid] = sorted((v.get("agent"), v.get("state"), v.get("ts")) for v in d.get("views", []))
        return out

    def check(self):
        emitted = {"a": self.records("a"), "b": self.records("b")}
        parsed = {}
        self.agent_ts = {}
        for agent, lines in emitted.items():
            recs = {}
            dup_in_files = 0
            for line in lines:
                o = json.loads(line)
                k = (o["epoch"], o["seq"])
                if k in recs:
                    dup_in_files += 1
                recs[k] = o["kind"]
                self.agent_ts[(agent,) + k] = o.get("agent_ts", "")
            if dup_in_files:
                self.problems.append("agent-%s: %d (epoch, seq) written twice in its record files" % (agent, dup_in_files))
            parsed[agent] = recs
        # What the shared database says was applied (also kept in the work folder: PostgreSQL's tmpfs goes).
        for table, q in (("dedup", "SELECT agent, epoch, high, above FROM dedup ORDER BY agent, epoch"),
                         ("flow", "SELECT id, agent, kind, ts, line FROM flow ORDER BY id")):
            self.run(["psql", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "-d", "soak", "-q", "-c",
                      "\\copy (%s) TO '%s'" % (q, os.path.join(self.work, "pg-%s.tsv" % table))], check=False)
        marks = {}
        for agent, epoch, high, above in self.psql("SELECT agent, epoch, high, above FROM dedup"):
            marks[(agent, int(epoch))] = (int(high), set(json.loads(above)))
        flows = collections.Counter()
        flow_ids = collections.defaultdict(list)
        for fid, line in self.psql("SELECT id, line FROM flow"):
            try:
                o = json.loads(line)
            except ValueError:
                continue
            flows[(o["agent_id"], o["epoch"], o["seq"])] += 1
            flow_ids[(o["agent_id"], o["epoch"], o["seq"])].append(int(fid))
        kafka = self.kafka_dump()
        res = {}
        for agent, recs in parsed.items():
            aid = "soak-" + agent
            r = res[agent] = collections.Counter()
            r["emitted"] = len(recs)
            missing = []
            unstored = collections.defaultdict(list)   # epoch -> seqs of conn/txn covered by marks but not stored
            stored = collections.defaultdict(list)     # epoch -> seqs of conn/txn stored
            for (epoch, seq), kind in recs.items():
                if agent == "a":
                    m = marks.get((aid, epoch))
                    covered = m is not None and (seq <= m[0] or seq in m[1])
                    where = "http"
                else:
                    places = kafka.get((aid, epoch, seq), set())
                    where = "on-kafka" if places else "never-on-kafka"
                    covered = any(seq <= marks.get(("kafka:%s/%d|%s" % (t, p, aid), epoch), (0, set()))[0] for t, p in places)
                if kind in ("conn", "txn"):
                    n = flows.get((aid, epoch, seq), 0)
                    if n > 1:
                        r["applied_twice"] += 1
                        with open(os.path.join(self.work, "twice-%s.txt" % agent), "a") as f:
                            f.write("%d %d %s %s flow row ids %s\n" % (epoch, seq, kind, self.agent_ts.get((agent, epoch, seq)),
                                                                      sorted(flow_ids[(aid, epoch, seq)])))
                    if covered and n == 0:
                        # The marks say applied, the flow table does not have it: the marks jumped over a gap
                        # (more than 1024 seqs seen above it) or were written without the batch. Lost.
                        r["marked_not_stored"] += 1
                        covered, where = False, "marked-not-stored"
                        unstored[epoch].append(seq)
                    elif n:
                        stored[epoch].append(seq)
                if covered:
                    r["applied"] += 1
                else:
                    missing.append((epoch, seq, kind, where))
            # Other kinds inside a run of unstored conn/txn (no stored conn/txn between them) went with them.
            for epoch, seqs in unstored.items():
                st = sorted(stored[epoch])
                seqs.sort()
                runs, cur = [], [seqs[0]]
                for q in seqs[1:]:
                    i = bisect.bisect_right(st, cur[-1])
                    if i < len(st) and st[i] < q:
                        runs.append(cur)
                        cur = [q]
                    else:
                        cur.append(q)
                runs.append(cur)
                for run in runs:
                    for q in range(run[0], run[-1] + 1):
                        kind = recs.get((epoch, q))
                        if kind and kind not in ("conn", "txn") and not any(x[0] == epoch and x[1] == q for x in missing):
                            r["applied"] -= 1
                            r["inferred_lost"] += 1
                            missing.append((epoch, q, kind, "in-unstored-gap"))
            # A record lost in the last instant before a kill -9 (the spool's 200 ms fsync interval, or the
            # record files' buffer) is documented; anything else is a loss.
            epochs = sorted({e for e, _ in recs})
            last_seq = {}
            for (epoch, seq) in recs:
                last_seq[epoch] = max(last_seq.get(epoch, 0), seq)
            missing_set = {(e, s) for e, s, _, _ in missing}
            covered_max = {}
            for (epoch, seq) in recs:
                if (epoch, seq) not in missing_set:
                    covered_max[epoch] = max(covered_max.get(epoch, 0), seq)
            # The epoch each kill -9 ended: the newest one started before the kill (epoch = start time in ms).
            killed = {max([e for e in epochs if e < k * 1000] or [0]) for k in self.killed_epochs.get(agent, [])}
            lost = []
            for epoch, seq, kind, on_wire in missing:
                if epoch in killed and seq > covered_max.get(epoch, 0):
                    r["crash_tail"] += 1
                    # How long before its kill -9 the record was written (agent_ts: the agent's wall clock).
                    kill_t = min([k for k in self.killed_epochs.get(agent, []) if k * 1000 > epoch] or [0])
                    before = kill_t - rfc3339(self.agent_ts.get((agent, epoch, seq), ""))
                    full = any(f["kind"] == "fill-spool" and f["target"] == "agent-" + agent
                               and f["start"] <= kill_t - T0 <= f["end"] + 1.0 for f in self.faults)
                    if full:
                        # Killed while its spool's disk was full: the records the spool kept in memory (as
                        # documented) go with the process. Counted apart, a warning.
                        r["crash_tail_disk_full"] += 1
                    else:
                        r["crash_tail_max_ms"] = max(r["crash_tail_max_ms"], int(before * 1000))
                    with open(os.path.join(self.work, "crash-tail-%s.txt" % agent), "a") as f:
                        f.write("%d %d %s %s %s, written %.3f s before the kill -9%s (epoch's last applied seq %d, last in files %d)\n"
                                % (epoch, seq, kind, self.agent_ts.get((agent, epoch, seq)), on_wire, before,
                                   ", its spool's disk full" if full else "", covered_max.get(epoch, 0), last_seq[epoch]))
                else:
                    lost.append((epoch, seq, kind, on_wire))
            if r["crash_tail_disk_full"]:
                self.warnings.append("agent-%s: %d records held in memory by its spool while the disk was full were lost at a kill -9 "
                                     "(documented: docs/export.md, 'A write error (disk full) keeps the records in memory'; "
                                     "crash-tail-%s.txt)" % (agent, r["crash_tail_disk_full"], agent))
            if r["crash_tail_max_ms"] > CRASH_TAIL_MS:
                self.problems.append("agent-%s: %d records lost at the tail of killed epochs, one written %d ms before its kill -9 "
                                     "(more than the spool's 200 ms fsync interval explains; crash-tail-%s.txt)"
                                     % (agent, r["crash_tail"], r["crash_tail_max_ms"], agent))
            r["lost"] = len(lost)
            if agent == "b":
                r["lost_never_on_kafka"] = sum(1 for x in lost if x[3] == "never-on-kafka")
            if lost:
                by_kind = collections.Counter(k for _, _, k, _ in lost)
                sample = ", ".join("%d/%d %s" % (e, s, k) for e, s, k, _ in sorted(lost)[:8])
                self.problems.append("agent-%s: %d records emitted but never applied (%s); first: %s"
                                     % (agent, len(lost), dict(by_kind), sample))
                with open(os.path.join(self.work, "lost-%s.txt" % agent), "w") as f:
                    f.write("# epoch seq kind agent_ts why (http / on-kafka: sent but no mark covers it; never-on-kafka; "
                            "marked-not-stored: a mark covers it, the flow table does not hold it; in-unstored-gap: "
                            "between such records)\n")
                    for e, s, k, w in sorted(lost):
                        f.write("%d %d %s %s %s\n" % (e, s, k, self.agent_ts.get((agent, e, s)), w))
            if r["applied_twice"]:
                self.problems.append("agent-%s: %d conn/txn records stored twice in the flow table" % (agent, r["applied_twice"]))
            if r["marked_not_stored"]:
                self.problems.append("agent-%s: of those, %d conn/txn records are covered by the duplicate marks but absent "
                                     "from the flow table (%d records of other kinds between them counted lost too)"
                                     % (agent, r["marked_not_stored"], r["inferred_lost"]))
            # Applied by the servers but absent from the files: after a kill -9 the record file loses the lines
            # still in the agent's buffer (flushed once a second) that the spool had already fsynced and sent.
            # At the tail of a killed epoch that is expected (counted apart); anywhere else it is a problem.
            if agent == "a":
                applied_keys = set()
                for (aid_, epoch), (high, above) in marks.items():
                    if aid_ == aid:
                        applied_keys.update((epoch, s_) for s_ in range(1, high + 1))
                        applied_keys.update((epoch, s_) for s_ in above)
            else:
                applied_keys = {(e, s_) for (ag, e, s_) in kafka if ag == aid}
            extras = sorted(k for k in applied_keys if k not in recs)
            r["applied_not_in_files"] = len(extras)
            all_epochs = sorted(set(epochs) | {e for e, _ in applied_keys})
            killed_all = {max([e for e in all_epochs if e < k * 1000] or [0]) for k in self.killed_epochs.get(agent, [])}
            odd = [k for k in extras if not (k[0] in killed_all and k[1] > last_seq.get(k[0], 0))]
            if odd:
                self.problems.append("agent-%s: %d records applied (or on Kafka) that its record files do not hold, not at the "
                                     "tail of a killed epoch; first: %s" % (agent, len(odd), odd[:8]))
            if extras:
                with open(os.path.join(self.work, "not-in-files-%s.txt" % agent), "w") as f:
                    for e, s_ in extras:
                        f.write("%d %d (last seq in files for the epoch: %d)\n" % (e, s_, last_seq.get(e, 0)))
            r["epochs"] = len(epochs)
            st = self.status(agent) or {}
            sp = (st.get("export") or {}).get("spool") or {}
            r["spool_dropped"] = sum(sp.get("dropped", {}).values())
            r["dead_lettered"] = sum(s.get("deadLettered", 0) for s in (st.get("export") or {}).get("sinks", []))
            dl = os.path.join(self.store(agent), "spool", "dead-letter.ndjson")
            r["dead_letter_lines"] = sum(1 for _ in open(dl)) if os.path.exists(dl) else 0
            if r["spool_dropped"]:
                self.problems.append("agent-%s: the spool refused %d records (full): the faults exceeded its headroom"
                                     % (agent, r["spool_dropped"]))
            if r["dead_letter_lines"]:
                self.problems.append("agent-%s: %d records dead-lettered (%s)" % (agent, r["dead_letter_lines"], dl))
        self.results = res
        # Reference server fed the record files once.
        self.reference(emitted)
        ref_m = {}
        for line in self.get(REF_PORT, "/metrics").splitlines():
            if line.startswith("vigie_server_records_") and "{" not in line:
                k, _, v = line.partition(" ")
                ref_m[k] = float(v)
        self.ref_ingested = int(ref_m.get("vigie_server_records_ingested_total", -1))
        total_emitted = sum(r["emitted"] for r in res.values())
        if self.ref_ingested != total_emitted:
            self.problems.append("reference applied %d records, the files hold %d" % (self.ref_ingested, total_emitted))
        stale = [n for n, p in S_PORTS.items() if not self.agents_fresh(p)]
        ref_w, ref_v = self.weather(REF_PORT), self.views(REF_PORT)
        self.weather_equal = {}
        for name, port in S_PORTS.items():
            w, v = self.weather(port), self.views(port)
            diff_w = {k: (w.get(k), ref_w.get(k)) for k in set(w) | set(ref_w) if w.get(k) != ref_w.get(k)}
            diff_v = {k: (v.get(k), ref_v.get(k)) for k in set(v) | set(ref_v) if v.get(k) != ref_v.get(k)}
            self.weather_equal[name] = not diff_w and not diff_v
            if diff_v:
                self.problems.append("%s: agent views differ from the reference's: %s" % (name, json.dumps(diff_v)[:1500]))
            if diff_w:
                msg = "%s: weather differs from the reference's: %s" % (name, json.dumps(diff_w)[:1500])
                if name in stale:
                    self.warnings.append(msg + " (agents stale on it by now: wall-clock, not compared)")
                else:
                    self.problems.append(msg)
        with open(os.path.join(self.work, "weather.json"), "w") as f:
            json.dump({"reference": ref_w, "s1": self.weather(S_PORTS["s1"]), "s2": self.weather(S_PORTS["s2"])}, f, indent=1)

    def summary(self, wall):
        kinds = collections.OrderedDict()
        for f in self.faults:
            k = kinds.setdefault(f["kind"], {"n": 0, "rec": []})
            k["n"] += 1
            if f["recovery"] is not None:
                k["rec"].append(f["recovery"])
        print()
        print("== soak: seed %d, duration %ds, wall %.0fs, faults: %s" % (self.a.seed, self.a.duration, wall, ",".join(self.a.faults)))
        print("%-14s %6s %12s %12s %s" % ("fault", "count", "recovery", "max", "not recovered"))
        for kind, k in kinds.items():
            rec = sorted(k["rec"])
            med = statistics.median(rec) if rec else float("nan")
            print("%-14s %6d %11.1fs %11.1fs %d" % (kind, k["n"], med, max(rec) if rec else float("nan"), k["n"] - len(rec)))
        print()
        dup = self.total("vigie_server_records_duplicate_total")
        ing = self.total("vigie_server_records_ingested_total")
        repl = self.total("vigie_server_batches_replayed_total")
        sfail = self.total("vigie_server_storage_failures_total")
        print("%-8s %8s %8s %8s %10s %12s %8s %8s %8s" % ("agent", "emitted", "applied", "lost", "crash_tail", "not_in_files",
                                                         "twice", "dropped", "deadltr"))
        for agent, r in self.results.items():
            print("%-8s %8d %8d %8d %10s %12d %8d %8d %8d" % ("soak-" + agent, r["emitted"], r["applied"], r["lost"],
                                                          "%d (%dms)" % (r["crash_tail"], r["crash_tail_max_ms"]) if r["crash_tail"] else "0",
                                                          r["applied_not_in_files"], r["applied_twice"], r["spool_dropped"],
                                                          r["dead_letter_lines"]))
        print()
        print("servers (summed over instance lifetimes, scraped every 0.5 s): ingested %d, duplicates absorbed %d, "
              "batches replayed %d, storage failures %d" % (ing, dup, repl, sfail))
        print("reference: ingested %d; weather and views equal: %s" % (self.ref_ingested, self.weather_equal))
        print("agents seen stale on s1 during the run (seconds, sampled): %s; fresh again on both instances before the end: %s"
              % ({k: v / 2 for k, v in self.stale_seen.items()} or "none", "no" if any("not fresh again" in p for p in self.problems) else "yes"))
        if self.supervised_restarts:
            print("server instances that exited by themselves and were restarted by the soak's supervisor: %s"
                  % dict(self.supervised_restarts))
        print("drain: %.1fs (agent restarts to finish draining: %s)" % (self.drain_seconds, self.drain_rounds))
        with open(os.path.join(self.work, "summary.json"), "w") as f:
            json.dump({"seed": self.a.seed, "duration": self.a.duration, "wall": wall, "faults": self.faults,
                       "agents": {k: dict(v) for k, v in self.results.items()}, "ingested": ing, "duplicates": dup,
                       "replayed": repl, "storage_failures": sfail, "reference_ingested": self.ref_ingested,
                       "drain": self.drain_seconds, "stale_seconds": {k: v / 2 for k, v in self.stale_seen.items()},
                       "supervised_restarts": dict(self.supervised_restarts), "problems": self.problems, "warnings": self.warnings}, f, indent=1)
        for w in self.warnings:
            print("warning: " + w)
        for p in self.problems:
            print("FAIL: " + p)

    def shutdown(self):
        self.stop_scrape.set()
        self.expected_down.update(self.procs)
        for name in list(self.procs):
            self.term(name, 10)
        self.pg("-m", "fast", "-w", "stop", check=False)
        with self.lock:
            self.write_pids()


INVENTORY = """nodes:
  - {id: soak-site, kind: site}
  - {id: soak-a, kind: agent}
  - {id: soak-b, kind: agent}
  - {id: "10.77.1.1:8081/tcp", kind: endpoint}
  - {id: "10.77.1.1:8082/tcp", kind: endpoint}
  - {id: "10.77.2.1:8083/tcp", kind: endpoint}
  - {id: "10.77.2.1:8084/tcp", kind: endpoint}
  - {id: front, kind: service, reduce: best}
  - {id: flaky, kind: service}
  - {id: back, kind: service}
  - {id: shop, kind: application, reduce: score}
  - {id: strict, kind: application}
edges:
  - {child: soak-a, parent: soak-site}
  - {child: soak-b, parent: soak-site}
  - {child: "10.77.1.1:8081/tcp", parent: front}
  - {child: "10.77.1.1:8082/tcp", parent: front}
  - {child: "10.77.1.1:8082/tcp", parent: flaky}
  - {child: "10.77.2.1:8083/tcp", parent: back}
  - {child: "10.77.2.1:8084/tcp", parent: back, map: "set:WARNING"}
  - {child: front, parent: shop}
  - {child: back, parent: shop}
  - {child: flaky, parent: strict}
  - {child: back, parent: strict}
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--work", required=True)
    p.add_argument("--bin", required=True)
    p.add_argument("--pgbin", required=True)
    p.add_argument("--cli-ns", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--duration", type=int, default=180)
    p.add_argument("--faults", default=",".join(DEFAULT_FAULTS))
    p.add_argument("--rate", type=float, default=8)
    p.add_argument("--stale-after", type=int, default=60)
    p.add_argument("--spool-size", default="64MiB")
    p.add_argument("--drain-timeout", type=int, default=60)
    a = p.parse_args()
    a.faults = [f for f in a.faults.split(",") if f]
    for f in a.faults:
        if f not in ALL_FAULTS:
            sys.exit("unknown fault kind %s (known: %s)" % (f, ", ".join(ALL_FAULTS)))
    s = Soak(a)
    code = 1
    try:
        log("setup")
        s.setup()
        log("chain up (kafka %s); faults for %ds: %s" % (s.bootstrap, a.duration, ",".join(a.faults)))
        s.inject()
        s.drain()
        s.check()
        s.summary(time.time() - T0)
        code = 1 if s.problems else 0
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        print("FAIL: soak aborted: %s" % e)
    finally:
        s.shutdown()
    print("soak: %s (work folder %s)" % ("PASS" if code == 0 else "FAIL", a.work))
    sys.exit(code)


if __name__ == "__main__":
    main()
