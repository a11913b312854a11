"""Starts the service fresh, times process start -> /health/ready and -> every model ready, then the first
requests after ready against the same run's steady state. Driven by bench/cold-start.sh (see there)."""
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

FIRST, SETTLE, STEADY = 10, 100, 20


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


def explain(url, photo, model):
    boundary = "----coldstart"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"models\"\r\n\r\n{model}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + photo + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url + "/cam", data=body, method="POST",
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    clock = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"POST /cam answered {response.status}")
    return (time.perf_counter() - clock) * 1000


def sources(url):
    status, body = get(url + "/models")
    if status != 200:
        return None
    return [(m.get("threads") or {}).get("source") if m["status"] == "ready" else m["status"] for m in json.loads(body)]


def start(command, url, deadline_s=600):
    """Launches the service; returns (process, seconds to /health/ready, seconds to every model ready)."""
    clock = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready = every = None
    while time.perf_counter() - clock < deadline_s:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}")
        now = time.perf_counter() - clock
        if ready is None and get(url + "/health/ready")[0] == 200:
            ready = now
        if every is None and (listed := sources(url)) and all(s not in ("loading",) for s in listed):
            every = now
        if ready is not None and every is not None:
            return process, ready, every
        time.sleep(0.02)
    process.kill()
    raise RuntimeError("the service did not get ready in time")


def stop(process):
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main():
    label, url, photo_path, model, settle_cache = sys.argv[1:6]
    command = sys.argv[6:]
    photo = open(photo_path, "rb").read()
    process, ready, every = start(command, url)
    try:
        first = [explain(url, photo, model) for _ in range(FIRST)]
        for _ in range(SETTLE):
            explain(url, photo, model)
        steady = [explain(url, photo, model) for _ in range(STEADY)]
        if settle_cache == "yes":
            # The warm scenario's cache: wait until no model still serves on guessed or remembered settings.
            limit = time.perf_counter() + 300
            while time.perf_counter() < limit and any(s in ("guessed", "remembered") for s in sources(url) or ["guessed"]):
                time.sleep(0.5)
        threads = sources(url)
    finally:
        stop(process)
    first_median, steady_median = statistics.median(first), statistics.median(steady)
    print(f"{label:<12} ready {ready:6.2f} s  every model {every:6.2f} s  first request {first[0]:6.0f} ms  "
          f"first {FIRST} median {first_median:6.0f} ms  steady median {steady_median:6.0f} ms  "
          f"ratio {first_median / steady_median:5.2f}  threads {','.join(map(str, threads or []))}", flush=True)


if __name__ == "__main__":
    main()
