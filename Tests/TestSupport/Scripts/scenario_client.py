#!/usr/bin/env python3
"""Client load for the service-state scenario test: WORKERS threads GET URL in a loop until
DURATION seconds passed (3 s timeout each, 100 ms pause), whatever the server does."""
import sys, threading, time, urllib.request

url, duration, workers = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
end = time.time() + duration

def work():
    while time.time() < end:
        try:
            urllib.request.urlopen(url, timeout=3).read()
        except Exception:
            pass
        time.sleep(0.1)

threads = [threading.Thread(target=work) for _ in range(workers)]
for t in threads: t.start()
for t in threads: t.join()
