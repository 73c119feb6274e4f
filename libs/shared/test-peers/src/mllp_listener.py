#!/usr/bin/python3
"""Test MLLP listener built on Debian's python3-hl7 (hl7.mllp): records every message it receives,
parsed with python-hl7 (an independent HL7 v2 parser), and answers as the mode file says:
AA, AE, AR, or none (no answer at all). Listens on 127.0.0.1 only. Prints LISTENING <port> when ready."""
import argparse
import asyncio
import json
import os
import sys

import hl7
import hl7.mllp


def field(segment, index):
    try:
        return str(segment[index])
    except (IndexError, KeyError):
        return ""


def component(segment, index, comp):
    try:
        return str(segment[index][0][comp])
    except (IndexError, KeyError, TypeError):
        return ""


def describe(message):
    msh = message.segment("MSH")
    out = {
        "controlId": field(msh, 10),
        "messageType": field(msh, 9),
        "version": field(msh, 12),
        "segments": [str(seg[0]) for seg in message],
        "pid3": component(message.segment("PID"), 3, 0) if any(str(s[0]) == "PID" for s in message) else "",
        "obx": [],
    }
    for seg in message:
        if str(seg[0]) != "OBX":
            continue
        out["obx"].append({
            "valueType": field(seg, 2),
            "code": component(seg, 3, 0),
            "codeText": component(seg, 3, 1),
            "codeSystem": component(seg, 3, 2),
            "subId": field(seg, 4),
            "value": field(seg, 5),
            "status": field(seg, 11),
        })
    for name in ("OBR", "EVN"):
        if any(str(s[0]) == name for s in message):
            seg = message.segment(name)
            out[name.lower()] = {"1": field(seg, 1), "25": field(seg, 25) if name == "OBR" else ""}
            if name == "OBR":  # OBR-3 filler order number: the accession number, which study a result is for
                out["obr"]["3"] = field(seg, 3)
    return out


def read_mode(path):
    try:
        with open(path) as f:
            return f.read().strip() or "AA"
    except FileNotFoundError:
        return "AA"


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--record", required=True)
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--no-fsync", action="store_true", help="benchmarks: do not fsync the record file per message")
    args = ap.parse_args()

    async def on_client(reader, writer):
        try:
            while not reader.at_eof():
                text = (await reader.readblock()).decode("utf-8")
                mode = read_mode(args.mode_file)
                try:
                    message = hl7.parse(text)
                    entry = describe(message)
                    entry["mode"] = mode
                except Exception as err:  # a message the independent parser rejects is recorded as such
                    entry = {"error": str(err), "mode": mode}
                    message = None
                with open(args.record, "a") as f:
                    f.write(json.dumps(entry) + "\n")
                    f.flush()
                    if not args.no_fsync:
                        os.fsync(f.fileno())
                if mode == "none" or message is None:
                    continue
                ack = str(message.create_ack(mode, message_id="ACK" + entry["controlId"][:17]))
                if mode in ("AE", "AR"):
                    ack += "|" + ("Application error (test listener)" if mode == "AE" else "Rejected (test listener)")
                writer.writemessage(hl7.parse(ack))
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        finally:
            writer.close()

    server = await hl7.mllp.start_hl7_server(on_client, "127.0.0.1", args.port, encoding="utf-8")
    port = server.sockets[0].getsockname()[1]
    print(f"LISTENING {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
