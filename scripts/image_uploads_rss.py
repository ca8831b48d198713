"""20 parallel image uploads against a running server, sampling its RSS.

Usage: python3 scripts/image_uploads_rss.py http://127.0.0.1:8080 <server pid> bomb|large
(registration per IP must be allowed; needs `requests`)."""
import os, sys, struct, zlib, threading, time, random
import requests

base, pid, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]

def png(width, height, noisy):
    def chunk(t, d):
        c = struct.pack(">I", len(d)) + t + d
        return c + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    if noisy:
        raw = b"".join(b"\0" + os.urandom(width * 3) for _ in range(height))
        data = zlib.compress(raw, 1)
    else:
        c = zlib.compressobj(9)
        row = b"\0" * (1 + width * 3)
        data = b"".join(c.compress(row) for _ in range(height)) + c.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")

body = png(12000, 12000, False) if kind == "bomb" else png(2500, 2500, True)
print("upload size", len(body), "bytes")
r = requests.post(base + "/api/v1/auth/register", json={"email": "m" + kind + "@example.com", "username": "measure" + kind, "password": "correct horse battery", "display_name": "M"})
token = r.json()["tokens"]["access_token"]
peak = [0]
done = [False]
def sample():
    while not done[0]:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        time.sleep(0.05)
def rss():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
before = rss()
t = threading.Thread(target=sample); t.start()
statuses = []
def up():
    r = requests.post(base + "/api/v1/attachments", headers={"authorization": "Bearer " + token}, files={"file": ("a.png", body, "image/png")})
    statuses.append(r.status_code)
threads = [threading.Thread(target=up) for _ in range(20)]
start = time.time()
for th in threads: th.start()
for th in threads: th.join()
done[0] = True; t.join()
print(f"{kind}: statuses {sorted(set(statuses))} x{len(statuses)}, RSS before {before//1024} MiB, peak {peak[0]//1024} MiB, {time.time()-start:.1f} s")
