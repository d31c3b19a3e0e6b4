#!/usr/bin/env python3
"""A small TCP proxy for the chaos soak: LISTEN -> TARGET on loopback, with faults read from a
control file (JSON, re-read every 0.2 s; absent or {} = pass through):

  {"delay_ms": 800}   every chunk forwarded (both ways) after this delay
  {"stall": true}     nothing forwarded while set (connections stay open: the client times out)

  proxy.py --listen 127.0.0.1:PORT --target 127.0.0.1:PORT --control FILE
"""
import argparse
import asyncio
import json
import os

state = {"delay_ms": 0, "stall": False}


async def watch(control):
    global state
    while True:
        try:
            with open(control) as f:
                s = json.load(f)
            state = {"delay_ms": int(s.get("delay_ms", 0)), "stall": bool(s.get("stall", False))}
        except (OSError, ValueError):
            state = {"delay_ms": 0, "stall": False}
        await asyncio.sleep(0.2)


async def pump(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            while state["stall"]:
                await asyncio.sleep(0.1)
            if state["delay_ms"] > 0:
                await asyncio.sleep(state["delay_ms"] / 1000)
            writer.write(data)
            await writer.drain()
    except (OSError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except OSError:
            pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--control", required=True)
    a = p.parse_args()
    lh, lp = a.listen.rsplit(":", 1)
    th, tp = a.target.rsplit(":", 1)

    async def handle(cr, cw):
        try:
            sr, sw = await asyncio.wait_for(asyncio.open_connection(th, int(tp)), 5)
        except (OSError, asyncio.TimeoutError):
            cw.close()
            return
        await asyncio.gather(pump(cr, sw), pump(sr, cw))

    asyncio.get_running_loop().create_task(watch(a.control))
    server = await asyncio.start_server(handle, lh, int(lp), reuse_address=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        os._exit(0)
