#!/usr/bin/env python3
"""Reads a TensorBoard event file without TensorFlow, TensorBoard or protobuf, to check
lrsweep's writer independently of it: its own CRC-32C (bit by bit), its own protobuf wire-format
decoder, and TensorBoard's field numbers written down from its .proto files.

    python3 read_tfevents.py FILE    # prints {"file_version", "scalars": {tag: [[step, value]]},
                                     #         "text": {tag: text}, "records": n} as JSON

Exit code 1, with the reason, for a bad length or data CRC, a truncated record or a malformed
message.
"""
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, at):
    value = shift = 0
    while True:
        byte = buf[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


def fields(buf):
    """Yields (number, wire type, value) of a message; value is int, bytes, or raw 4/8 bytes."""
    at = 0
    while at < len(buf):
        key, at = varint(buf, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = varint(buf, at)
        elif wire == 1:
            value, at = buf[at:at + 8], at + 8
        elif wire == 2:
            length, at = varint(buf, at)
            value, at = buf[at:at + length], at + length
        elif wire == 5:
            value, at = buf[at:at + 4], at + 4
        else:
            raise ValueError("wire type %d" % wire)
        yield number, wire, value


def read_value(buf, out, step):
    # Summary.Value: tag 1, simple_value 2 (float), tensor 8, metadata 9.
    tag, simple, tensor, plugin = None, None, None, None
    for number, _, value in fields(buf):
        if number == 1:
            tag = value.decode()
        elif number == 2:
            simple = struct.unpack("<f", value)[0]
        elif number == 8:
            tensor = value
        elif number == 9:
            for n, _, v in fields(value):  # SummaryMetadata.plugin_data 1 -> plugin_name 1
                if n == 1:
                    plugin = dict((k, x) for k, _, x in fields(v)).get(1, b"").decode()
    if simple is not None:
        out["scalars"].setdefault(tag, []).append([step, simple])
    elif tensor is not None and plugin == "text":
        # TensorProto: dtype 1 (DT_STRING = 7), string_val 8.
        parts = list(fields(tensor))
        assert any(n == 1 and v == 7 for n, _, v in parts), "text tensor is not DT_STRING"
        out["text"][tag] = b"".join(v for n, _, v in parts if n == 8).decode()


def read(path):
    data = open(path, "rb").read()
    out = {"file_version": None, "scalars": {}, "text": {}, "records": 0, "wall_times": []}
    at = 0
    while at < len(data):
        if at + 12 > len(data):
            raise ValueError("truncated record header at byte %d" % at)
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if masked(crc32c(header)) != length_crc:
            raise ValueError("bad length CRC at byte %d" % at)
        payload = data[at + 12:at + 12 + length]
        if len(payload) != length or at + 16 + length > len(data):
            raise ValueError("truncated record at byte %d" % at)
        (data_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if masked(crc32c(payload)) != data_crc:
            raise ValueError("bad data CRC at byte %d" % at)
        at += 16 + length
        out["records"] += 1
        # Event: wall_time 1 (double), step 2, file_version 3, summary 5 (Summary.value 1).
        step, summaries = 0, []
        for number, _, value in fields(payload):
            if number == 1:
                out["wall_times"].append(struct.unpack("<d", value)[0])
            elif number == 2:
                step = value
            elif number == 3:
                out["file_version"] = value.decode()
            elif number == 5:
                summaries.append(value)
        for summary in summaries:
            for number, _, value in fields(summary):
                if number == 1:
                    read_value(value, out, step)
    return out


if __name__ == "__main__":
    try:
        print(json.dumps(read(sys.argv[1])))
    except (ValueError, IndexError, AssertionError, struct.error) as error:
        print("read_tfevents: %s: %s" % (sys.argv[1], error), file=sys.stderr)
        sys.exit(1)
