#!/usr/bin/python3
"""Seed corpora for the fuzz targets, made from scenarios/ and fixtures/.

    fuzz/gen_corpus.py [REPO_ROOT]

Writes fuzz/corpus/<target>/seed-*; files with other names (inputs merged
back by fuzz-overnight) are left alone. Deterministic: the same scenarios
give the same bytes. Input formats are described at the top of each
fuzz/targets/*.c file.
"""
import json
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), ".."))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
MAX_SLOTS = 8
MASK_KEY = bytes([0x37, 0xFA, 0x21, 0x3D])

TOKEN_WORDS = {"valid": "", "expired": " expired", "forged": " forged",
               "wrong_secret": " forged", "alg_none": " none",
               "garbage": " garbage", "oversized": " garbage",
               "missing": " missing"}

# fault_schedule.c: bits 7-5 select the mode, bits 4-0 hold N - 1.
MODE_BITS = {"nth": 0, "after": 2, "once": 4, "always": 5, "probability": 6}


def fault_names():
    text = open(os.path.join(ROOT, "harness", "common", "faults.def")).read()
    return re.findall(r'WSF_FAULT\("([^"]+)"', text)


def scenario_files():
    out = []
    for top in ("scenarios", os.path.join("fixtures", "scenarios", "good")):
        for dirpath, _, names in sorted(os.walk(os.path.join(ROOT, top))):
            out += [os.path.join(dirpath, n) for n in sorted(names)
                    if n.endswith(".json") and n != "schema.json"]
    return out


def load(path):
    try:
        return json.load(open(path))
    except ValueError:
        return None


class Conns:
    """Mirrors fz_app's connection slots so directives reach the right one."""

    def __init__(self):
        self.slots = ["(initial)"] + [None] * (MAX_SLOTS - 1)
        self.current = 0
        self.claimed = False
        self.lines = []

    def connect(self, name, token):
        if token == "valid" and not self.claimed:
            self.slots[0], self.claimed = name, True
            self.select(name)
            return
        if None not in self.slots:
            return
        k = self.slots.index(None)
        self.slots[k], self.current = name, k
        self.lines.append("@open" + TOKEN_WORDS.get(token, " garbage"))

    def select(self, name):
        if name not in self.slots:
            return False
        while self.slots[self.current] != name:
            self.lines.append("@next")
            self.current = self._next()
        return True

    def _next(self):
        for k in range(1, MAX_SLOTS + 1):
            i = (self.current + k) % MAX_SLOTS
            if self.slots[i]:
                return i
        return self.current

    def close(self, name):
        if self.select(name):
            self.lines.append("@close")
            self.slots[self.current] = None
            self.current = self._next()


def message_lines(scn):
    """The scenario's messages as fz_app lines, or [] when it sends none."""
    conns = Conns()
    sent = False
    for st in scn.get("steps", []):
        kind, name = st.get("step"), st.get("conn", "main")
        if kind == "connect":
            token = "garbage" if "token_raw" in st else st.get("token", "valid")
            conns.connect(name, token)
        elif kind == "send" and conns.select(name):
            if "json" in st:
                line = json.dumps(st["json"], separators=(",", ":"), ensure_ascii=False)
            elif "text" in st and "\n" not in st["text"]:
                line = st["text"]
            elif "binary_hex" in st:
                line = "@binary"
            else:
                continue
            conns.lines += [line] * max(1, min(int(st.get("repeat", 1)), 4))
            sent = True
        elif kind in ("close", "disconnect"):
            conns.close(name)
        elif kind == "health":
            conns.lines.append("@health")
    return conns.lines if sent else []


def schedule(scn, names):
    """fault_schedule.c's header for the scenario's faults (runtime ones too)."""
    specs = list(scn.get("faults", []))
    specs += [st for st in scn.get("steps", [])
              if st.get("step") == "fault" and st.get("enable")]
    entries = []
    for f in specs:
        if f.get("name") not in names:
            continue
        mode = f.get("mode", "always")
        n = int(f.get("n", 1))
        if mode == "probability":
            n = max(1, round(float(f.get("probability", 0.5)) * 32))
        bits = MODE_BITS.get(mode, 5)
        entries.append(bytes([names.index(f["name"]), bits << 5 | (min(n, 32) - 1)]))
    entries = entries[:7]
    return bytes([len(entries)]) + b"".join(entries)


def mask(payload):
    return bytes(b ^ MASK_KEY[i % 4] for i, b in enumerate(payload))


def frame(opcode, payload, fin=True, rsv=0, masked=True, declared=None):
    """RFC 6455 5.2 frame bytes, as a client would write them."""
    n = len(payload) if declared is None else declared
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    m = 0x80 if masked else 0
    if n <= 125:
        head += bytes([m | n])
    elif n <= 0xFFFF:
        head += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([m | 127]) + n.to_bytes(8, "big")
    return head + (MASK_KEY + mask(payload) if masked else payload)


def framed_body(lines):
    """frames.c's framed mode: [ctl][len][len2][payload] per text message."""
    out = b""
    for line in lines:
        if line == "@binary":
            out += bytes([0x01, 4]) + b"\x00\x01\xfe\xff"
        elif not line.startswith("@"):
            data = line.encode()[:0xFFFF]
            out += (bytes([0x40, len(data) >> 8, len(data) & 0xFF]) if len(data) > 255
                    else bytes([0x00, len(data)])) + data
    return out


def step_payload(st):
    if "payload_text" in st:
        return st["payload_text"].encode()
    return bytes.fromhex(st.get("payload_hex", "").replace(" ", "").replace("\n", ""))


def raw_stream(scn):
    """The bytes a scenario's sends put on the wire, whatever their framing."""
    out = b""
    for st in scn.get("steps", []):
        if st.get("step") != "send":
            continue
        if "raw_hex" in st:
            out += bytes.fromhex(re.sub(r"\s", "", st["raw_hex"]))
        elif "frame" in st:
            f = st["frame"]
            out += frame(int(f.get("opcode", 1)), step_payload(f), f.get("fin", True),
                         int(f.get("rsv", 0)), f.get("masked", True), f.get("declared_len"))
        elif "json" in st:
            out += frame(1, json.dumps(st["json"], separators=(",", ":")).encode())
        elif "text" in st:
            out += frame(1, st["text"].encode())
        elif "binary_hex" in st:
            out += frame(2, bytes.fromhex(st["binary_hex"].replace(" ", "")))
    return out


HAND_MESSAGES = {
    "aliases": ['{"type":"%s","id":"%s"}' % (t, t) for t in
                ("user_message", "chat", "agent_request", "start_agent",
                 "execute_agent", "agent_task")] + ['{"type":"ping","id":7}'],
    "errors": ['not json', '{"id":"n"}', '[1,2]', '{"type":"nope","id":{"a":[1]}}',
               '{"type":3}', '', '"chat"', '@binary'],
    "ids": ['{"type":"chat","id":null}', '{"type":"chat","id":1.5}',
            '{"type":"chat","id":-7}', '{"type":"chat","id":[1,"x"]}',
            '{"type":"chat"}', '{"type":"chat","id":"\\u00e9t\\u00e9"}'],
    "conns": ['@open', '{"type":"chat","id":"b1"}', '@open expired', '@open forged',
              '{"type":"chat","id":"x"}', '@next', '{"type":"ping","id":"p"}',
              '@close', '@health', '{"type":"agent_task","id":"t"}'],
    "ready": ['{"type":"chat","id":"q1"}', '{"type":"chat","id":"q2"}',
              '{"type":"chat","id":"q3"}', '{"type":"chat","id":"q4"}',
              '{"type":"chat","id":"q5"}', '@ready', '{"type":"chat","id":"q6"}'],
}


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def clear_seeds(target):
    d = os.path.join(CORPUS, target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if n.startswith("seed-"):
                os.unlink(os.path.join(d, n))


# Seeds drawn from scenarios per target: committed corpora stay small.
SCENARIO_SEEDS = 25


def family(path):
    """Scenarios that differ only in a number or a detail share a family."""
    name = os.path.basename(path)[:-5]
    return os.path.dirname(path), "-".join(name.split("-")[:2])


def pick(items, limit=SCENARIO_SEEDS):
    """One (path, data) per family, then evenly spaced down to limit."""
    seen, out = set(), []
    for path, data in items:
        if family(path) not in seen:
            seen.add(family(path))
            out.append((path, data))
    if len(out) > limit:
        out = [out[i * len(out) // limit] for i in range(limit)]
    return out


def from_scenarios(names):
    """What each target can take from the scenarios, before picking."""
    per = {t: [] for t in ("scenario", "message", "fault_schedule", "frames")}
    for path in scenario_files():
        scn = load(path)
        if not isinstance(scn, dict):
            continue
        per["scenario"].append((path, open(path, "rb").read()))
        lines = message_lines(scn)
        if lines:
            per["message"].append((path, "\n".join(lines) + "\n"))
        if lines and (scn.get("faults") or any(st.get("step") == "fault" for st in scn["steps"])):
            per["fault_schedule"].append((path, schedule(scn, names) + "\n".join(lines).encode()))
        if any("frame" in st or "raw_hex" in st for st in scn["steps"]):
            per["frames"].append((path, raw_stream(scn)))
    return per


def scenario_seeds(names):
    per = from_scenarios(names)
    for target in ("scenario", "message", "fault_schedule"):
        for path, data in pick(per[target]):
            write(target, os.path.basename(path)[:-5], data)
    for path, raw in pick(per["frames"]):
        sid = os.path.basename(path)[:-5]
        write("frames", "raw-" + sid, b"\x00\x00" + raw)
        write("frames", "raw-chop3-" + sid, b"\x00\x03" + raw)
        write("frame_decode", sid, b"\x80" + raw)
    bad = sorted(os.listdir(os.path.join(ROOT, "fixtures", "scenarios", "bad")))
    for name in bad[::6]:
        write("scenario", "bad-" + name[:-5],
              open(os.path.join(ROOT, "fixtures", "scenarios", "bad", name), "rb").read())


def hand_seeds(names):
    for name, lines in HAND_MESSAGES.items():
        write("message", name, "\n".join(lines) + "\n")
        texts = [ln.encode() for ln in lines if not ln.startswith("@")]
        write("frame_decode", "client-" + name, b"\x8e" + b"".join(frame(1, t) for t in texts))
    probe = ['{"type":"chat","id":"a"}', '{"type":"execute_agent","id":"e"}', '@binary',
             '{"type":"ping","id":"p"}', '@open', '{"type":"chat","id":"b"}', '@close',
             '{"type":"chat","id":"c"}']
    for i, name in enumerate(names):
        write("fault_schedule", "always-" + name.replace("/", "-"),
              bytes([1, i, 5 << 5]) + "\n".join(probe).encode())
    write("fault_schedule", "none", b"\x00" + "\n".join(probe).encode())
    for name in ("aliases", "errors", "conns", "ready"):
        body = framed_body(HAND_MESSAGES[name])
        write("frames", "framed-" + name, b"\x01\x00" + body)
        write("frames", "framed-chop1-" + name, b"\x01\x01" + body[:60])
    fragments = (bytes([0x08, 13]) + b'{"type":"chat' + bytes([0x03, 2]) + b"pi" +
                 bytes([0x02, 12]) + b'","id":"f1"}' + bytes([0x05, 3, 0]) + b"by")
    write("frames", "framed-fragments", b"\x01\x05" + fragments)
    write("frames", "framed-too-big", b"\x01\x00" + bytes([0x40, 0x21, 0x00]) + b"x" * 0x2100)
    server = (frame(1, b'{"type":"pong","request_id":"p"}', masked=False) +
              frame(8, b"\x03\xe8bye", masked=False))
    write("frame_decode", "server", b"\x0a" + server)
    write("frame_decode", "long-forms", b"\x90" + frame(2, b"x" * 300) +
          bytes([0x82, 0xFF]) + (5).to_bytes(8, "big") + MASK_KEY + mask(b"hello"))


def main():
    names = fault_names()
    for t in ("message", "fault_schedule", "frames", "scenario", "frame_decode"):
        clear_seeds(t)
    scenario_seeds(names)
    hand_seeds(names)


if __name__ == "__main__":
    main()
