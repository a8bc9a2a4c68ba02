"""moto_server with one request at a time: same arguments as `moto_server`.

DynamoDB applies each conditional write (and each transaction) atomically; moto 5 evaluates the
condition and applies the update without a lock, and rolls a cancelled transaction back by restoring
whole-table snapshots, so concurrent requests can interleave inside a write. Serializing requests
gives the tests DynamoDB's guarantee, no more: a read-then-write race in our code still shows,
because its read and its write are separate requests.
"""

import sys
import threading

import moto.server

_lock = threading.Lock()
_run_simple = moto.server.run_simple


def _serialized(app):
    def handle(environ, start_response):
        with _lock:
            return list(app(environ, start_response))

    return handle


def _run(host, port, app, **kwargs):
    _run_simple(host, port, _serialized(app), **kwargs)


moto.server.run_simple = _run

if __name__ == "__main__":
    sys.exit(moto.server.main(sys.argv[1:]))
